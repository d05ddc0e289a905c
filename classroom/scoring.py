"""Points from positive evidence: a kata's grade from its job's result file, held against the tests
collected from the pristine tree with no kata code loaded.

A function earns its points only when every test expected for it ran and passed in the kata's own
run; a test that the kata's run skipped, lost or never reported counts as not run. The status comes
from the harness's one rule (``katas.harness.status.decide``).
"""

from __future__ import annotations

import json
from pathlib import Path

from katas.harness.report import RunReport, TestResult
from katas.harness.status import Outcome, Status, decide, points

from .grades import FunctionGrade, KataGrade, zero
from .pool import Job

STOPPED_EARLY = {2: "interrupted (KeyboardInterrupt, or a test session stopped by kata code)",
                 3: "internal error (kata code broke pytest itself)", 4: "usage error"}
DETAIL_CHARS = 800


def expected_tests(collect: Job) -> RunReport:
    """The pristine tests as collected with no kata code loaded (SKIPPED where they cannot run here)."""
    if collect.status:
        raise RuntimeError(f"collecting the pristine tests failed ({collect.status}); see {collect.log}:\n"
                           + tail(collect.log))
    data = json.loads(collect.result.read_text())
    if data.get("exit") not in (0, 5) or data.get("report") is None:
        raise RuntimeError(f"collecting the pristine tests failed (pytest exit {data.get('exit')}):\n"
                           + tail(collect.log))
    return RunReport.from_json(data["report"])


def tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return ""


def score(kata, job: Job, expected: RunReport) -> KataGrade:
    timings = dict(seconds=job.seconds, cpu_seconds=job.cpu_seconds)
    if job.status:
        return zero(kata, job.status, **timings)
    try:
        data = json.loads(job.result.read_text())
        violations = data["violations"]
        ran = RunReport.from_json(data["report"])
        assert isinstance(violations, list)
    except Exception:
        return zero(kata, "the kata's process left no readable result (it may have exited early)", **timings)
    if data.get("exit") not in (0, 1, 5):
        why = STOPPED_EARLY.get(data.get("exit"), "")
        return zero(kata, f"the test run stopped early (pytest exit status {data.get('exit')}: {why})", **timings)
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return zero(kata, str(violations[0])[:500] + more, **timings)
    results = ran.tests()
    collected = {f.name: f.tests for k in expected.katas if k.folder == kata.folder for f in k.functions}
    functions = [_function_grade(function, worth, collected.get(function, []), results)
                 for function, worth in kata.points.items()]
    broken = next((k.broken for k in ran.katas if k.folder == kata.folder and k.broken), "")
    return KataGrade(kata.folder, kata.title, sum(f.score for f in functions), sum(kata.points.values()),
                     functions, broken=broken, **timings)


def _function_grade(function: str, worth: int, expected: list[TestResult], results: dict[str, TestResult]) -> FunctionGrade:
    outcomes, failure = [], ""
    for test in expected:
        if test.outcome is Outcome.SKIPPED:  # cannot run on this machine (no CUDA): neither way
            outcomes.append(Outcome.SKIPPED)
            continue
        got = results.get(test.nodeid) or TestResult(test.nodeid)
        outcome = Outcome.NOT_RUN if got.outcome is Outcome.SKIPPED else got.outcome
        outcomes.append(outcome)
        if outcome is not Outcome.PASSED and not failure:
            failure = got.message or (
                f"{test.nodeid}: skipped ({got.reason}) in the graded run although it runs here"
                if got.outcome is Outcome.SKIPPED else f"{test.nodeid}: {outcome.value}")
    status = decide(outcomes)
    needed = [o for o in outcomes if o is not Outcome.SKIPPED]
    return FunctionGrade(function, worth, points(status, worth), status, needed.count(Outcome.PASSED), len(needed),
                         "" if status in (Status.DONE, Status.NOT_STARTED) else failure[:DETAIL_CHARS])
