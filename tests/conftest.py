"""Runs a kata's tests inside the gate's own process, against any implementation.

A fresh interpreter per run would pay torch's import (about 2 s) some hundred times; pytest.main
in-process pays it once. Each run's state lives on its own config, so nested runs do not mix.
"""

from __future__ import annotations

import ast
import io
from dataclasses import dataclass
from pathlib import Path

import pytest

from katas.harness.kata import KATAS_DIR, Kata
from katas.harness.report import NAME_ERRORS, RunReport
from katas.harness.runner import run_in_process
from katas.harness.status import Outcome


@dataclass
class KataRun:
    report: RunReport
    output: str  # what pytest printed, for failure messages

    def outcomes(self) -> dict[str, Outcome]:
        return {nodeid: test.outcome for nodeid, test in self.report.tests().items()}

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


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
    plugins = [_CatchFirst(overridden(Path(impl)))] if impl.endswith(".py") else []
    output = io.StringIO()
    report = run_in_process([KATAS_DIR / kata.folder], impl, plugins, extra, output=output)
    return KataRun(report, output.getvalue())


@pytest.fixture(scope="session")
def kata_run():
    return run_kata


# The files whose tests share one expensive scenario (a session fixture): each goes to one worker, whole,
# so that its scenario is built once per gate run, and they start first, the longest first.
SCENARIO_FILES = ("test_hostile.py", "test_bundle.py", "test_workflow.py", "test_grading.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def order(item: pytest.Item) -> int:
        name = item.path.name
        return SCENARIO_FILES.index(name) if name in SCENARIO_FILES else len(SCENARIO_FILES)

    items.sort(key=order)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """pytest-xdist (`-n`): a scenario file's tests on one worker, every other test on its own."""
    from xdist.scheduler import LoadScopeScheduling

    class ScenarioScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::")[0]
            return path if Path(path).name in SCENARIO_FILES else nodeid

    return ScenarioScheduling(config, log)


# --------------------------------------------------------------------------------------------------
# The classroom scenarios (tests/scenarios.py), each built once, when a test first needs it.


@pytest.fixture(scope="session")
def scenario_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("classroom")


@pytest.fixture(scope="session")
def edition(scenario_root):
    """The student edition, as `python -m classroom export` writes it: (its folder, its katas)."""
    from classroom import export

    folder = scenario_root / "edition"
    return folder, export.build(folder)
