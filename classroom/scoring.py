"""Points from positive evidence: a kata's grade from its job's result, held against the tests
collected from the pristine tree with no kata code loaded (the plan).

A job's result crossed a boundary that kata code shares, so it is read strictly (``read_result``):
every field of the type it must have, every test one of the plan's, every message within the
clipping policy's bounds; anything else zeroes that kata, with the reason, and never the run. A
function earns its points only when every planned test that runs here ran and passed in the kata's
own run, by the harness's report and by pytest's own report of every phase of that test (the job's
evidence, kept out of kata code's reach). The status comes from the harness's one rule
(``katas.harness.status.decide``).
"""

from __future__ import annotations

from dataclasses import replace

from katas.harness.clip import MESSAGE_CHARS, clip
from katas.harness.report import SCHEMA, FunctionResult, KataResult, RunReport, TestResult
from katas.harness.status import Outcome, Status, as_shown, decide, points

from .grades import FunctionGrade, KataGrade, zero
from .protocol import JobResult
from .spec import PlannedTest

STOPPED_EARLY = {2: "interrupted (KeyboardInterrupt, or a test session stopped by kata code)",
                 3: "internal error (kata code broke pytest itself)", 4: "usage error"}
TEXT_FIELDS = ("reason", "error", "message", "blocked_by", "device")
PHASES, PHASE_OUTCOMES = {"setup", "call", "teardown"}, {"passed", "failed", "skipped"}
MAX_VIOLATIONS = 100


class Invalid(ValueError):
    """A job's result that no run of the planned tests could have written."""


def plan_of(collect: JobResult) -> dict[str, list[PlannedTest]]:
    """kata folder -> its tests, in order, from the collect job (which runs no kata code)."""
    data = collect.payload or {}
    if collect.status or data.get("exit") not in (0, 5) or not isinstance(data.get("plan"), list):
        why = collect.status or f"pytest exit {data.get('exit')}"
        raise RuntimeError(f"collecting the pristine tests failed ({why}):\n{collect.output[-3000:]}")
    plan: dict[str, list[PlannedTest]] = {}
    for entry in data["plan"]:
        test = PlannedTest(**entry)
        plan.setdefault(test.nodeid.split("/")[1], []).append(test)
    return plan


def score(kata, result: JobResult, planned: list[PlannedTest]) -> KataGrade:
    kept = dict(seconds=result.seconds, cpu_seconds=result.cpu_seconds, output=result.output)
    if result.status:
        return zero(kata, clip(result.status), **kept)
    try:
        exit_status, ran, violations, outcomes = read_result(result.payload, kata, planned)
    except Invalid as error:
        return zero(kata, clip(f"tampered: its result is not what a run of its tests reports ({error})"), **kept)
    if exit_status not in (0, 1, 5):
        why = STOPPED_EARLY.get(exit_status, "")
        return zero(kata, f"the test run stopped early (pytest exit status {exit_status}: {why})", **kept)
    results = ran.tests()
    violations = violations + _disagreements(results, outcomes)
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return zero(kata, clip(violations[0]) + more, **kept)
    by_function: dict[str, list[PlannedTest]] = {}
    for test in planned:
        by_function.setdefault(test.function, []).append(test)
    functions = [_function_grade(function, worth, by_function.get(function, []), results)
                 for function, worth in kata.points.items()]
    shown = as_shown({f.function: f.status for f in functions}, ran.katas[0].as_handed_out)
    functions = [f if shown[f.function] is f.status else replace(f, status=shown[f.function], detail="")
                 for f in functions]  # a bug handed out in a kata not yet touched: a task, like a stub
    broken = ran.katas[0].broken
    return KataGrade(kata.folder, kata.title, sum(f.score for f in functions), sum(kata.points.values()),
                     functions, broken=broken, test_limit_s=max((t.timeout_s for t in planned), default=0.0), **kept)


def confirm(kata, grade: KataGrade, verdicts: list[dict] | None, unconfirmed: str = "") -> KataGrade:
    """The judge's word on a kata's grade. A function its tests call done earns its points only when
    the judge confirms every case of it; a case the judge finds wrong for such a function means the
    verdict in the kata's own process was not the truth, and zeroes the kata. ``verdicts`` None: the
    judge could not check (``unconfirmed`` says why), and no function is confirmed."""
    done = {f.function for f in grade.functions if f.status is Status.DONE}
    if grade.reason or not done:
        return grade
    if verdicts is None:
        failing = {f: f"the judge could not confirm it: {unconfirmed}" for f in done}
    else:
        refuted = [v for v in verdicts if not v["confirmed"] and v["function"] in done]
        if refuted:
            kept = dict(seconds=grade.seconds, cpu_seconds=grade.cpu_seconds, output=grade.output)
            return zero(kata, clip(f"tampered: the judge's check of `{refuted[0]['function']}` failed: "
                                    f"{refuted[0]['message']}"), **kept)
        failing = {}
    functions = [replace(f, status=Status.FAILING, score=0, detail=failing[f.function]) if f.function in failing else f
                 for f in grade.functions]
    return replace(grade, functions=functions, score=sum(f.score for f in functions))


def read_result(payload, kata, planned: list[PlannedTest]) -> tuple[int, RunReport, list[str], dict]:
    """The job's exit status, run report, violations and pytest's outcomes, each checked for type,
    count and names against the kata and its plan. Raises Invalid."""
    data = _expect(payload, dict, "the result")
    _keys(data, {"exit", "report", "violations", "outcomes"}, "the result")
    exit_status = _expect(data["exit"], int, "the exit status")
    report = _expect(data["report"], dict, "the report")
    if report.get("schema") != SCHEMA:
        raise Invalid("a report of another schema")
    katas = _expect(report.get("katas"), list, "the report's katas")
    if len(katas) != 1 or _expect(katas[0], dict, "a kata").get("folder") != kata.folder:
        raise Invalid(f"a report of other katas than {kata.folder}")
    functions = _expect(katas[0].get("functions"), list, "the kata's functions")
    names = [_expect(f, dict, "a function").get("name") for f in functions]
    if names != list(kata.points):
        raise Invalid(f"functions {names} where the kata has {list(kata.points)}")
    expected = {test.nodeid: test.function for test in planned}
    seen: set[str] = set()
    read = []
    for name, function in zip(names, functions):
        tests = []
        for entry in _expect(function.get("results"), list, f"{name}'s results"):
            _keys(_expect(entry, dict, "a test result"), {"nodeid", "outcome", *TEXT_FIELDS}, "a test result")
            nodeid = _text(entry["nodeid"], "a test id")
            if expected.get(nodeid) != name or nodeid in seen:
                raise Invalid(f"a result for {nodeid[:200]!r}, which is not one of {name}'s tests, or twice")
            seen.add(nodeid)
            try:
                outcome = Outcome(entry["outcome"])
            except ValueError:
                raise Invalid(f"an outcome {str(entry['outcome'])[:40]!r}") from None
            tests.append(TestResult(nodeid, outcome, *(_text(entry[key], key) for key in TEXT_FIELDS)))
        read.append(FunctionResult(name, kata.points[name], tests))
    broken = _text(katas[0].get("broken"), "the kata's broken message")
    handed_out = [_text(name, "a function handed out with a bug")
                  for name in _expect(katas[0].get("as_handed_out"), list, "the functions handed out with a bug")]
    if not set(handed_out) <= set(kata.ships_with_bug):
        raise Invalid(f"functions handed out with a bug {handed_out[:5]} that the kata does not hand out so")
    ran = RunReport(_text(report.get("impl"), "the report's impl"),
                    [KataResult(kata.folder, kata.title, kata.module, read, broken, handed_out)])
    violations = [_text(v, "a violation") for v in _expect(data["violations"], list, "the violations")]
    outcomes = _expect(data["outcomes"], dict, "pytest's outcomes")
    if len(violations) > MAX_VIOLATIONS or len(outcomes) > len(expected):
        raise Invalid("more violations or outcomes than a run records")
    for nodeid, phases in outcomes.items():
        if nodeid not in expected or not isinstance(phases, dict) or not set(phases) <= PHASES \
                or not set(phases.values()) <= PHASE_OUTCOMES:
            raise Invalid(f"pytest's outcome of {str(nodeid)[:200]!r} is not one pytest reports")
    return exit_status, ran, violations, outcomes


def _expect(value, kind: type, what: str):
    if type(value) is not kind:
        raise Invalid(f"{what} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _keys(value: dict, keys: set[str], what: str) -> None:
    if set(value) != keys:
        raise Invalid(f"{what} has the fields {sorted(map(str, value))[:10]}, expected {sorted(keys)}")


def _text(value, what: str) -> str:
    text = _expect(value, str, what)
    if len(text) > 2 * MESSAGE_CHARS:
        raise Invalid(f"{what} of {len(text)} characters, longer than any the harness writes")
    return text


def _disagreements(results: dict[str, TestResult], outcomes: dict[str, dict[str, str]]) -> list[str]:
    """Tests the harness's report says passed while pytest's own reports say otherwise: the report
    was rewritten from kata code."""
    for nodeid, result in results.items():
        if result.outcome is not Outcome.PASSED:
            continue
        phases = outcomes.get(nodeid, {})
        if phases.get("setup") != "passed" or phases.get("call") != "passed" or phases.get("teardown") == "failed":
            said = ", ".join(f"{when} {outcome}" for when, outcome in phases.items()) or "no report at all"
            return [f"tampered: the harness's report says {nodeid} passed, pytest reported {said}"]
    return []


def _function_grade(function: str, worth: int, planned: list[PlannedTest],
                    results: dict[str, TestResult]) -> FunctionGrade:
    outcomes, failure = [], ""
    for test in planned:
        if not test.runs:  # cannot run on this machine (no CUDA): neither way
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
                         "" if status in (Status.DONE, Status.NOT_STARTED) else clip(failure))
