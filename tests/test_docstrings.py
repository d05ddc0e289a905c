"""Every `>>>` example in a kata's docstrings runs as a doctest against the reference.

Stub and reference carry the same docstrings (the gate checks that), so an example that holds for
the reference is what a student's finished code must show: no example can drift from the code.
pyproject.toml switches pytest's doctest plugin off, so the stdlib's doctest runs them here.
"""

from __future__ import annotations

import doctest
import importlib.util
import io
import sys
from types import ModuleType

import pytest

from katas.harness.kata import ROOT, Kata, all_katas

KATAS = all_katas()
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


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


# torch warns once while it loads its forward-mode formulas (07's first jvp): its own code, not ours.
@pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")
# 07's first vmap imports torch._dynamo (about 1.5 s alone), and the gate runs this file first, while
# the classroom's background runs share the two CPUs: pytest's 10 s per test is too tight for that.
@pytest.mark.timeout(60)
@pytest.mark.parametrize("kata", [pytest.param(kata, id=kata.folder) for kata in KATAS])
def test_docstring_examples_hold_for_the_reference(kata, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files (08's save_sample)
    module = reference_module(kata)
    examples = [test for test in doctest.DocTestFinder().find(module) if test.examples]
    assert examples, f"{kata.folder}: no docstring in {kata.module}.py has a >>> example"
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    failed = []
    for test in examples:
        report = io.StringIO()
        if runner.run(test, out=report.write).failed:
            name = test.name.removeprefix(f"{module.__name__}.")
            failed.append(f"{kata.module}.{name}:\n{report.getvalue()}")
    if failed:
        pytest.fail(
            f"{kata.folder}: {len(failed)} docstring example(s) do not hold for the reference. Fix the example "
            "in both katas/ and reference/ (their docstrings must stay identical):\n" + "\n".join(failed),
            pytrace=False,
        )
