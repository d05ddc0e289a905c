"""Points from positive evidence: a kata's grade from its job's result, held against the tests
collected from the pristine tree with no kata code loaded.

A function earns its points only when every test expected for it ran and passed in the kata's own
run, by the harness's report and by pytest's own report of every phase of that test (the job's
evidence, kept out of kata code's reach); a test that the kata's run skipped, lost or never reported
counts as not run. The status comes from the harness's one rule (``katas.harness.status.decide``).
"""

from __future__ import annotations

from katas.harness.report import RunReport, TestResult
from katas.harness.status import Outcome, Status, decide, points

from .grades import FunctionGrade, KataGrade, zero
from .pool import Job

STOPPED_EARLY = {2: "interrupted (KeyboardInterrupt, or a test session stopped by kata code)",
                 3: "internal error (kata code broke pytest itself)", 4: "usage error"}
DETAIL_CHARS = 800
REASON_CHARS = 500


def expected_tests(collect: Job) -> RunReport:
    """The pristine tests as collected with no kata code loaded (SKIPPED where they cannot run here)."""
    data = collect.payload or {}
    if collect.status or data.get("exit") not in (0, 5) or data.get("report") is None:
        why = collect.status or f"pytest exit {data.get('exit')}"
        raise RuntimeError(f"collecting the pristine tests failed ({why}):\n{collect.output[-3000:]}")
    return RunReport.from_json(data["report"])


def score(kata, job: Job, expected: RunReport) -> KataGrade:
    kept = dict(seconds=job.seconds, cpu_seconds=job.cpu_seconds, output=job.output)
    if job.status:
        return zero(kata, job.status, **kept)
    try:
        data = job.payload
        violations, outcomes = data["violations"], data["outcomes"]
        ran = RunReport.from_json(data["report"])
        assert isinstance(violations, list) and isinstance(outcomes, dict)
    except Exception:
        return zero(kata, "the kata's process left no readable result (it may have exited early)", **kept)
    if data.get("exit") not in (0, 1, 5):
        why = STOPPED_EARLY.get(data.get("exit"), "")
        return zero(kata, f"the test run stopped early (pytest exit status {data.get('exit')}: {why})", **kept)
    results = ran.tests()
    violations = violations + _disagreements(results, outcomes)
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return zero(kata, str(violations[0])[:REASON_CHARS] + more, **kept)
    collected = {f.name: f.tests for k in expected.katas if k.folder == kata.folder for f in k.functions}
    functions = [_function_grade(function, worth, collected.get(function, []), results)
                 for function, worth in kata.points.items()]
    broken = next((k.broken for k in ran.katas if k.folder == kata.folder and k.broken), "")
    return KataGrade(kata.folder, kata.title, sum(f.score for f in functions), sum(kata.points.values()),
                     functions, broken=broken, **kept)


def _disagreements(results: dict[str, TestResult], outcomes: dict[str, dict[str, str]]) -> list[str]:
    """Tests the harness's report says passed while pytest's own reports say otherwise: the report
    was rewritten from kata code."""
    found = []
    for nodeid, result in results.items():
        if result.outcome is not Outcome.PASSED:
            continue
        phases = outcomes.get(nodeid, {})
        if phases.get("setup") != "passed" or phases.get("call") != "passed" or phases.get("teardown") == "failed":
            said = ", ".join(f"{when} {outcome}" for when, outcome in phases.items()) or "no report at all"
            found.append(f"tampered: the harness's report says {nodeid} passed, pytest reported {said}")
    return found[:1]


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
