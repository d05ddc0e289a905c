"""Running kata tests inside this process: the one way the student CLI, notebook mode, the
instructor gate and the grader's jobs run pytest and get the harness's run report back."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TextIO

import pytest

from .kata import ROOT
from .plugin import run_of
from .report import RunReport


class _Keep:
    """Keeps the harness's own report of the run (what the progress table shows), in a list made up
    front: a grading job's snapshot holds this plugin's attributes fixed."""

    def __init__(self) -> None:
        self.kept: list[RunReport] = []

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.kept.append(run_of(session.config).report)


def run_in_process(paths: list[str | Path], impl: str = "student", plugins: list[object] = (),
                   args: list[str] = (), *, rootdir: Path = ROOT, output: TextIO | None = None) -> RunReport:
    """Run the kata tests under ``paths`` against ``impl`` (an --impl value) and return the run report.

    ``output`` receives what pytest prints (None: this process's stdout, as it is); ``plugins`` are
    more pytest plugins for this run, ``args`` more command-line arguments. Raises RuntimeError when
    pytest stopped before the harness made a report (a usage error), with what pytest said.
    """
    keep = _Keep()
    argv = [*map(str, paths), f"--impl={impl}", f"--rootdir={rootdir}", "-p", "no:cacheprovider", *args]
    with contextlib.redirect_stdout(output) if output is not None else contextlib.nullcontext():
        status = pytest.main(argv, plugins=[keep, *plugins])
    if not keep.kept:
        said = output.getvalue()[-3000:] if hasattr(output, "getvalue") else ""
        raise RuntimeError(f"the kata tests did not run (pytest exit status {int(status)}):\n{said}")
    return keep.kept[0]
