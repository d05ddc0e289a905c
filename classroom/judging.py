"""The judge and its worker, inside grading jobs (``job`` runs them; the harness's ``judge`` holds the
cases, ``drive`` performs them).

The judge (a job that never loads submission code) draws a kata's calls from the run's secret seed,
and later checks what each submission's worker sent back, drawing the same cases again from the same
seed. A worker loads one submission's kata module, and nothing of the tests, performs those calls,
each within its test's time limit, and sends back data only (``torch.save`` bytes, read here with
``torch.load(weights_only=True)``, which builds tensors and plain containers, never objects).
"""

from __future__ import annotations

import base64
import io
import json
import signal
from pathlib import Path

from .spec import JobSpec


def pack(value) -> str:
    import torch

    buffer = io.BytesIO()
    torch.save(value, buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def unpack(text: str):
    import torch

    return torch.load(io.BytesIO(base64.b64decode(text)), weights_only=True)


def judge(spec: JobSpec, katas: Path) -> dict:
    """Draw: {"cases": [label, function] per case, "calls": each case's call, packed}. Check
    (``spec.data``: per submission, the cases its worker made and its outputs, packed; None for a
    worker that sent none): {"verdicts": per submission, per case made, {"case", "function",
    "confirmed", "message"}}."""
    from katas.harness.judge import Draw, Mismatch, Output, case_seed, load_cases
    from katas.harness.kata import judge_file, load_kata

    kata = load_kata(katas / spec.folders[0])
    cases = load_cases(judge_file(kata, katas))
    made = [case.make(Draw(case_seed(spec.seed, case))) for case in cases]
    if not spec.data:
        return {"exit": 0, "cases": [[case.label, case.function] for case in cases],
                "calls": [pack(m.call.to_data()) for m in made]}
    verdicts = []
    for sent in json.loads(spec.data)["submissions"]:
        chosen = [number for number in sent["cases"] if 0 <= number < len(cases)]
        outputs = _outputs(sent["outputs"], len(chosen))
        found = []
        for number, output in zip(chosen, outputs):
            case = cases[number]
            try:
                if isinstance(output, str):
                    raise Mismatch(output)
                made[number].check(Output(**output))
                found.append({"case": case.label, "function": case.function, "confirmed": True, "message": ""})
            except Mismatch as mismatch:
                found.append({"case": case.label, "function": case.function, "confirmed": False,
                              "message": f"{kata.module}.{case.function}, case {case.label}: {mismatch}"})
        verdicts.append(found)
    return {"exit": 0, "verdicts": verdicts}


def _outputs(packed: str | None, count: int) -> list:
    """A worker's outputs as dicts for Output; a string saying why where there is none to check."""
    if packed is None:
        return ["its worker sent no outputs"] * count
    try:
        outputs = unpack(packed)
    except Exception as error:  # not data that weights_only loading accepts
        return [f"its worker's outputs could not be read as data ({type(error).__name__})"] * count
    if not isinstance(outputs, list) or len(outputs) != count:
        return ["its worker sent outputs for other calls"] * count
    return [o if isinstance(o, dict) and set(o) == {"value", "grads", "error"} else "an output that is not one"
            for o in outputs]


def work(spec: JobSpec, impl: str, katas: Path, say) -> dict:
    """Perform the judge's calls on the submission's module (in ``impl``); ``say(*words)`` reports
    progress on the job's channel, one start and end per call, as tests do."""
    from katas.harness.drive import perform
    from katas.harness.errors import TestTimedOut
    from katas.harness.judge import Call, Output
    from katas.harness.kata import load_kata
    from katas.harness.loader import Impl, Session

    kata = load_kata(katas / spec.folders[0])
    calls = [Call.from_data(unpack(packed)) for packed in json.loads(spec.data)]
    say("collected", len(calls))
    limit = max((t.timeout_s for t in spec.tests), default=0.0)
    _alarm(limit, TestTimedOut)  # an import that never ends is ended like a call
    try:
        module = Session(Impl("the submission", Path(impl))).module(kata)
    except (Exception, TestTimedOut) as error:
        failed = Output(error=f"{type(error).__name__}: {error}"[:500])
        return {"exit": 0, "outputs": pack([vars(failed)] * len(calls))}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    outputs = []
    for number, (call, planned) in enumerate(zip(calls, spec.tests)):
        say("start", number)
        _alarm(planned.timeout_s, TestTimedOut)
        try:
            output = perform(call, module)
        except TestTimedOut:
            output = Output(error=f"still running after the {planned.timeout_s:g} s limit")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
        outputs.append(vars(output))
        say("end", number)
    return {"exit": 0, "outputs": pack(outputs)}


def _alarm(seconds: float, error: type[BaseException]) -> None:
    """Raise ``error`` in this thread after ``seconds`` (none: no limit)."""
    def fire(signum, frame):
        raise error(f"still running after {seconds:g} s")

    signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds or 0)
