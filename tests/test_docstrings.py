"""Every `>>>` example in a kata's docstrings runs against the reference, as doctest would run it.

Stub and reference carry the same docstrings (the gate checks that), so an example that holds for
the reference is what a student's finished code must show: no example can drift from the code.
pyproject.toml switches pytest's doctest plugin off; doctest's parser and output checker judge the
examples here, one at a time, so that a test stopped by its time limit says so, and where, instead
of passing for an example that printed the wrong thing.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import io
import sys
import traceback
from pathlib import Path
from types import ModuleType

import pytest

from katas.harness.kata import ROOT, Kata, all_katas

KATAS = all_katas()
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
CHECKER = doctest.OutputChecker()


def reference_module(kata: Kata) -> ModuleType:
    path = ROOT / "reference" / kata.folder / f"{kata.module}.py"
    spec = importlib.util.spec_from_file_location(f"docstring_examples_{kata.folder}.{kata.module}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(spec.name)
    return module


def where_it_stopped(error: BaseException, example_file: str) -> str:
    """Where a stopped example was: the call it made, the module it was importing, if any, and the
    innermost frame (pytest's own frames left out)."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__)
              if not {"_pytest", "pytest_timeout.py"} & set(Path(frame.filename).parts)]
    files = [frame.filename for frame in frames]
    inside = frames[files.index(example_file) + 1:] if example_file in files else frames
    if not inside:
        return "the example's own line"
    said = [f"{inside[0].name} ({Path(inside[0].filename).name}:{inside[0].lineno})"]
    imports = [frame.filename for frame in inside if frame.name == "<module>"]
    if imports:
        said.append(f"importing {imports[-1]}")
    said.append(f"innermost {inside[-1].filename}:{inside[-1].lineno} in {inside[-1].name}")
    return ", ".join(said)


def mismatch(example: doctest.Example, globs: dict, label: str) -> str:
    """'' when the example holds, else what doctest would report. Runs it as doctest does (compiled
    in 'single' mode, so a bare expression prints its repr); pytest's time limit is no Exception and
    is not taken for the example's output."""
    printed, source = io.StringIO(), f"<{label} example>"
    raised = None
    with contextlib.redirect_stdout(printed):
        try:
            exec(compile(example.source, source, "single"), globs)
        except Exception as error:
            raised = error
        except pytest.fail.Exception as stopped:  # pytest-timeout: the test ran out of time here
            raise pytest.fail.Exception(
                f"{label}: stopped by the test's time limit while running `{example.source.strip()}` "
                f"(in {where_it_stopped(stopped, source)}): {str(stopped).rstrip('.')}. The example did not fail: it ran too long.",
                pytrace=False) from None
    if raised is None and example.exc_msg is None:
        got, want = printed.getvalue(), example.want
    elif raised is not None and example.exc_msg is not None:
        got, want = traceback.format_exception_only(type(raised), raised)[-1], example.exc_msg
    else:
        got = printed.getvalue() + ("".join(traceback.format_exception(raised)) if raised else "(no exception)\n")
        want = example.want
    if CHECKER.check_output(want, got, OPTIONS):
        return ""
    return f"{label}, `{example.source.strip()}`:\nExpected:\n{want}Got:\n{got}"


# torch warns once while it loads its forward-mode formulas (07's first jvp): its own code, not ours.
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
@pytest.mark.parametrize("kata", [pytest.param(kata, id=kata.folder) for kata in KATAS])
def test_docstring_examples_hold_for_the_reference(kata, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (08's save_sample)
    module = reference_module(kata)
    docstrings = [test for test in doctest.DocTestFinder().find(module) if test.examples]
    assert docstrings, f"{kata.folder}: no docstring in {kata.module}.py has a >>> example"
    failed = []
    for docstring in docstrings:
        label = f"{kata.module}.{docstring.name.removeprefix(module.__name__ + '.')}"
        globs = dict(docstring.globs)
        for example in docstring.examples:
            problem = mismatch(example, globs, label)
            if problem:
                failed.append(problem)
                break  # later examples of this docstring build on this one
    if failed:
        pytest.fail(
            f"{kata.folder}: {len(failed)} docstring example(s) do not hold for the reference. Fix the example "
            "in both katas/ and reference/ (their docstrings must stay identical):\n" + "\n".join(failed),
            pytrace=False,
        )
