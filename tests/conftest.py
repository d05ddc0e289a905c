"""Runs a kata's tests inside the gate's own process, against any implementation.

A fresh interpreter per run would pay torch's import (about 2 s) some hundred times; pytest.main
in-process pays it once. The harness keeps per-run state on a stack, so nested runs do not mix.
"""

from __future__ import annotations

import ast
import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from katas.harness.kata import KATAS_DIR, ROOT, Kata
from katas.harness.plugin import PROGRESS, Progress


@dataclass
class KataRun:
    progress: Progress
    output: str  # what pytest printed, for failure messages

    def outcomes(self) -> dict[str, str]:
        """nodeid -> passed, failed, skipped, not started or broken."""
        return {nodeid: outcome for tests in self.progress.outcomes.values() for nodeid, outcome in tests.items()}

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


class _Keep:
    """Keeps the harness's own record of the run: the gate judges by what the progress table shows."""

    progress: Progress

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.progress = session.config.stash[PROGRESS]


class _FirstChecking:
    """Runs the tests of the given functions first: with -x, a mutant's run ends at its first catch."""

    def __init__(self, functions: set[str]):
        self.functions = functions

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=lambda item: item.get_closest_marker("checks").args[0] not in self.functions)


def overridden(mutant: Path) -> set[str]:
    """The names a mutant file defines over the reference."""
    return {
        node.name for node in ast.parse(mutant.read_text()).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    }


def run_kata(kata: Kata, impl: str, *extra: str) -> KataRun:
    keep, output = _Keep(), io.StringIO()
    first = overridden(Path(impl)) if impl.endswith(".py") else set()
    args = [str(KATAS_DIR / kata.folder), f"--impl={impl}", f"--rootdir={ROOT}", "-p", "no:cacheprovider", *extra]
    with contextlib.redirect_stdout(output):
        pytest.main(args, plugins=[keep, _FirstChecking(first)])
    return KataRun(keep.progress, output.getvalue())


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
