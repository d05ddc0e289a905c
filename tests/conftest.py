"""Runs a kata's tests inside the gate's own process, against any implementation.

A fresh interpreter per run would pay torch's import (about 2 s) some hundred times; pytest.main
in-process pays it once. Each run's state lives on its own config, so nested runs do not mix.
"""

from __future__ import annotations

import ast
import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from katas.harness.kata import KATAS_DIR, ROOT, Kata
from katas.harness.plugin import run_of
from katas.harness.report import NAME_ERRORS, RunReport
from katas.harness.status import Outcome

@dataclass
class KataRun:
    report: RunReport
    output: str  # what pytest printed, for failure messages

    def outcomes(self) -> dict[str, Outcome]:
        return {nodeid: test.outcome for nodeid, test in self.report.tests().items()}

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class _Keep:
    """Keeps the harness's own report of the run: the gate judges by what the student would see."""

    report: RunReport

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.report = run_of(session.config).report


class _CatchFirst:
    """Runs the tests of the given functions first, and stops at the first real catch: a mutant's
    run ends there, and a failure on a missing name alone does not end it."""

    def __init__(self, functions: set[str]):
        self.functions = functions
        self.session: pytest.Session | None = None

    def pytest_collection_modifyitems(self, session: pytest.Session, items: list[pytest.Item]) -> None:
        self.session = session
        items.sort(key=lambda item: item.get_closest_marker("checks").args[0] not in self.functions)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed and getattr(report, "kata_error", "") not in NAME_ERRORS and self.session is not None:
            self.session.shouldstop = f"caught by {report.nodeid}"


def overridden(mutant: Path) -> set[str]:
    """The names a mutant file defines over the reference."""
    return {
        node.name for node in ast.parse(mutant.read_text()).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


def run_kata(kata: Kata, impl: str, *extra: str) -> KataRun:
    keep, output = _Keep(), io.StringIO()
    plugins: list[object] = [keep]
    if impl.endswith(".py"):
        plugins.append(_CatchFirst(overridden(Path(impl))))
    args = [str(KATAS_DIR / kata.folder), f"--impl={impl}", f"--rootdir={ROOT}", "-p", "no:cacheprovider", *extra]
    with contextlib.redirect_stdout(output):
        pytest.main(args, plugins=plugins)
    return KataRun(keep.report, output.getvalue())


@pytest.fixture(scope="session")
def kata_run():
    return run_kata


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The classroom tests wait on subprocesses: last, so that those run while the gate works here.
    items.sort(key=lambda item: item.path.name == "test_classroom.py")


def pytest_collection_finish(session: pytest.Session) -> None:
    starters = {getattr(item.module, "start_background", None) for item in session.items} - {None}
    for start in starters:
        start()
