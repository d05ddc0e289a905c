"""The one rule that turns a function's test outcomes into its status and points.

The progress table, the run report, the instructor gate and every grader decide "done / failing /
not started / broken" here and nowhere else, and spell the words only through these enums.
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable


class Outcome(str, Enum):
    """What became of one test."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_STARTED = "not started"  # it reached a stub's NotImplementedError
    BLOCKED = "blocked"  # it failed inside another kata function that the checked one calls
    BROKEN = "broken"  # the kata module does not import
    SKIPPED = "skipped"  # it cannot run here (no CUDA): neither for nor against the function
    NOT_RUN = "not run"  # expected, but no result came (stopped early, crashed, killed)

    def __str__(self) -> str:
        return self.value


class Status(str, Enum):
    """What a function's tests, taken together, say about it."""

    DONE = "done"
    FAILING = "failing"
    NOT_STARTED = "not started"
    BLOCKED = "blocked"  # written, but every test that does not pass fails inside another function
    BROKEN = "broken"
    SKIPPED = "skipped"  # every test of it was skipped: nothing says it works
    NOT_RUN = "not run"  # some or all of its tests gave no result, and none failed
    ZERO = "zero"  # a grader zeroed the whole kata (a limit, tampering); the kata's reason says why

    def __str__(self) -> str:
        return self.value


def decide(outcomes: Iterable[Outcome]) -> Status:
    """The status of a function from the outcomes of all the tests that check it."""
    outcomes = list(outcomes)
    counted = [o for o in outcomes if o is not Outcome.SKIPPED]
    if Outcome.BROKEN in counted:
        return Status.BROKEN
    if not counted:
        return Status.SKIPPED if outcomes else Status.NOT_RUN
    if all(o is Outcome.PASSED for o in counted):
        return Status.DONE
    if Outcome.FAILED in counted:
        return Status.FAILING
    if all(o is Outcome.NOT_STARTED for o in counted):
        return Status.NOT_STARTED
    if all(o in (Outcome.PASSED, Outcome.BLOCKED) for o in counted):
        return Status.BLOCKED
    if Outcome.NOT_STARTED in counted or Outcome.BLOCKED in counted:
        return Status.FAILING  # written in part: some tests pass, others reach a stub
    return Status.NOT_RUN


def points(status: Status, worth: int) -> int:
    """Points are all or nothing per function: every test that checks it ran and passed."""
    return worth if status is Status.DONE else 0
