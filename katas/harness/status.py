"""The one rule that turns a function's test outcomes into its status and points.

The progress table, the run report, the instructor gate and every grader decide "done / failing /
not started / broken" here and nowhere else, and spell the words only through these enums. What a
student is shown of a function handed out with a bug (08's regression_loss) is decided here too:
``as_shown``, from the statuses and ``still_handed_out``.
"""

from __future__ import annotations

import ast
import textwrap
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


# -- A function handed out with a bug -----------------------------------------------------------------
# 08's regression_loss ships with the lecture's bug in its body, not as a stub, so its tests fail from the
# first run. Until the student touches its kata, that failure is the task, not news: it reads "not started".


def still_handed_out(definition: str, handed_out: str) -> bool:
    """Whether ``definition`` (the source of one function, as the student's module or notebook holds it)
    still has the body ``handed_out`` (the statements it was handed out with, as kata.json records them).

    Compared as syntax trees, without the docstring: a new docstring, comments, blank lines or another
    layout leave the function as handed out; any change to a statement makes it the student's own.
    Source that does not parse is the student's own too.
    """
    def body(source: str) -> str | None:
        try:
            tree = ast.parse(textwrap.dedent(source))
        except SyntaxError:
            return None
        statements = tree.body
        if len(statements) == 1 and isinstance(statements[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
            statements = statements[0].body
        if statements and isinstance(statements[0], ast.Expr) and isinstance(statements[0].value, ast.Constant) \
                and isinstance(statements[0].value.value, str):
            statements = statements[1:]  # the docstring
        return ast.dump(ast.Module(statements, []))

    mine = body(definition)
    return mine is not None and mine == body(handed_out)


def as_shown(statuses: dict[str, Status], untouched_bugs: Iterable[str]) -> dict[str, Status]:
    """The statuses a student sees for one kata, from what its tests decided (``statuses``, by function).

    ``untouched_bugs`` names the functions handed out with a bug whose code is still as handed out
    (``still_handed_out``). The kata is untouched while every function handed out with a bug is among
    them and every other function reads "not started": then those functions read "not started" too,
    a task like any stub. Once the student has touched the kata (edited a buggy function, or started
    any other), every function reads what its tests say, so a buggy function the student edited and
    still gets wrong reads "failing". Grading counts points from the tests alone; this is what to show.
    """
    untouched = set(untouched_bugs)
    others = [status for name, status in statuses.items() if name not in untouched]
    if not untouched or any(status is not Status.NOT_STARTED for status in others):
        return dict(statuses)
    return {name: Status.NOT_STARTED if name in untouched and status is Status.FAILING else status
            for name, status in statuses.items()}
