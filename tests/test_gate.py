"""The instructor gate: the course is only as good as its tests, so this proves them.

1. every kata's tests pass against the reference;
2. against the untouched stubs no test passes, and each function reads "not started";
3. every known-wrong solution (reference/NN_topic/mutants/*.py) fails an assertion of at least one
   test (a mutant that only crashes, with a NameError say, is not caught);
4. stubs and reference expose the same public names, signatures and docstrings, matching KATAS.md.
"""

from __future__ import annotations

import ast
import inspect
import math
import re
from pathlib import Path

import pytest
import torch

from katas.harness.kata import ROOT, Kata, all_katas
from katas.harness.loader import Session, resolve_impl
from katas.harness.status import Outcome, Status

KATAS = all_katas()
MIN_MUTANTS = 8
KATAS_MD = Path(__file__).with_name("KATAS.md")  # vendored copy of the contract
SHARED_KATAS_MD = ROOT.parent / "shared" / "KATAS.md"  # the original, beside an instructor checkout


def by_kata(values=KATAS):
    return [pytest.param(kata, id=kata.folder) for kata in values]


def mutants_of(kata: Kata) -> list[Path]:
    return sorted((ROOT / "reference" / kata.folder / "mutants").glob("*.py"))


MUTANTS = [pytest.param(kata, path, id=f"{kata.folder}/{path.stem}") for kata in KATAS for path in mutants_of(kata)]


@pytest.mark.parametrize("kata", by_kata())
def test_reference_passes_every_test(kata, kata_run):
    run = kata_run(kata, "reference")
    outcomes = run.outcomes()
    failed = sorted(nodeid for nodeid, outcome in outcomes.items() if outcome not in (Outcome.PASSED, Outcome.SKIPPED))
    assert outcomes and not failed, f"{kata.folder}: the reference fails {failed}\n{run.tail()}"
    untested = [f.name for f in run.report.kata(kata.folder).functions if f.status is not Status.DONE]
    assert not untested, f"{kata.folder}: no passing test checks {untested}"


@pytest.mark.parametrize("kata", by_kata())
def test_stubs_pass_nothing(kata, kata_run):
    run = kata_run(kata, "student")
    passed = sorted(nodeid for nodeid, outcome in run.outcomes().items() if outcome is Outcome.PASSED)
    assert not passed, f"{kata.folder}: these tests pass on the untouched stubs: {passed}"
    for function in run.report.kata(kata.folder).functions:
        status = function.status
        expected = Status.FAILING if function.name in kata.ships_with_bug else Status.NOT_STARTED
        assert status is expected, (
            f"{kata.folder}: {function.name} reads {status.value!r} on the untouched stubs, expected {expected!r} "
            f"(a test fails for another reason before reaching the stub)\n{run.tail()}"
        )


@pytest.mark.parametrize("kata", by_kata())
def test_kata_has_mutants(kata):
    assert len(mutants_of(kata)) >= MIN_MUTANTS, f"{kata.folder}: fewer than {MIN_MUTANTS} known-wrong solutions"


def why_not_caught(kata: Kata, mutant: Path, run) -> str:
    """'' when the tests catch the mutant, else what the gate says about it."""
    mistake = ast.get_docstring(ast.parse(mutant.read_text()))
    if run.report.kata(kata.folder).broken:
        return f"mutant {mutant.name} does not even import\n{run.tail()}"
    failures = [t for t in run.report.tests().values() if t.outcome in (Outcome.FAILED, Outcome.BLOCKED)]
    if not failures:
        return (f"{kata.folder}: the known-wrong solution {mutant.name} passes every test, so a student making "
                f"this mistake would be told it is right. The mistake: {mistake}\nAdd a test that catches it.")
    if all(t.failed_on_a_name for t in failures):
        return (f"{kata.folder}: the known-wrong solution {mutant.name} fails only on a name that does not exist "
                f"({failures[0].message[:200]}), not on anything a test checks. It tests nothing: make it the "
                f"real mistake, or add a test that catches the mistake itself ({mistake}).")
    return ""


@pytest.mark.parametrize("kata, mutant", MUTANTS)
def test_mutant_is_caught(kata, mutant, kata_run):
    complaint = why_not_caught(kata, mutant, kata_run(kata, str(mutant)))
    assert not complaint, complaint


def test_a_mutant_failing_only_on_a_missing_name_is_not_caught(tmp_path, kata_run):
    kata = next(k for k in KATAS if k.folder == "03_einsum")
    mutant = tmp_path / kata.folder / "mutants" / "matmul_uses_a_missing_helper.py"
    mutant.parent.mkdir(parents=True)
    mutant.write_text('"""matmul calls a helper that exists nowhere."""\n\n\n'
                      "def matmul(a, b):\n    return helper_nobody_wrote(a, b)\n")
    complaint = why_not_caught(kata, mutant, kata_run(kata, str(mutant)))
    assert "fails only on a name that does not exist" in complaint and "NameError" in complaint, complaint


def public_api(kata: Kata, impl: str) -> dict[str, object]:
    session = Session(resolve_impl(impl))
    try:
        module = session.module(kata)
    finally:
        session.close()
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and callable(value) and getattr(value, "__module__", None) == module.__name__
    }


def described(value: object) -> dict[str, tuple[str, str | None]]:
    """name -> (signature, docstring) for a function, or a class and its public methods."""
    entries = {"": (str(inspect.signature(value)), inspect.getdoc(value))}
    if isinstance(value, type):
        for name, member in vars(value).items():
            if inspect.isfunction(member) and (not name.startswith("_") or name == "__init__"):
                entries[name] = (str(inspect.signature(member)), inspect.getdoc(member))
    return entries


@pytest.mark.parametrize("kata", by_kata())
def test_stub_and_reference_expose_the_same_api(kata):
    stub, reference = public_api(kata, "student"), public_api(kata, "reference")
    assert sorted(stub) == sorted(reference), f"{kata.folder}: public names differ between stub and reference"
    for name in stub:
        assert described(stub[name]) == described(reference[name]), (
            f"{kata.folder}: {kata.module}.{name} differs between stub and reference (signature or docstring)"
        )


def contract() -> dict[str, tuple[str, list[str]]]:
    """KATAS.md: kata folder -> (module, the API cells of its table, in order)."""
    sections = re.split(r"^## ", KATAS_MD.read_text(), flags=re.M)
    found = {}
    for section in sections:
        heading = re.match(r"(\d\d_\w+) — `(\w+)\.py`", section)
        if heading:
            cells = re.findall(r"^\| `([^`]+)` \|(.*)\|$", section, flags=re.M)
            found[heading[1]] = (heading[2], cells)
    return found


def signature_of(text: str) -> inspect.Signature:
    """inspect.Signature from KATAS.md text such as `orthogonal_(tensor, gain=1.0, generator=None)`."""
    call = ast.parse(text.removeprefix("class "), mode="eval").body
    scope = {"math": math, "torch": torch, "nn": torch.nn}
    parameters = [inspect.Parameter(a.id, inspect.Parameter.POSITIONAL_OR_KEYWORD) for a in call.args]
    parameters += [
        inspect.Parameter(k.arg, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=eval(ast.unparse(k.value), scope))
        for k in call.keywords
    ]
    return inspect.Signature(parameters)


def bare(signature: inspect.Signature) -> inspect.Signature:
    return signature.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty,
    )


def test_katas_md_lists_exactly_the_katas_here():
    assert sorted(contract()) == [kata.folder for kata in KATAS], "kata folders differ from KATAS.md's sections"


@pytest.mark.parametrize("kata", by_kata())
def test_api_matches_katas_md(kata):
    module, cells = contract()[kata.folder]
    assert kata.module == module, f"{kata.folder}/kata.json names module {kata.module}, KATAS.md says {module}"
    names = [re.match(r"(?:class )?(\w+)", api)[1] for api, _ in cells]
    assert list(kata.points) == names, f"{kata.folder}/kata.json functions differ from KATAS.md's table (names or order)"
    reference = public_api(kata, "reference")
    for name, (api, behaviour) in zip(names, cells):
        value = reference[name]
        if api.startswith("class "):
            base = eval(re.search(r"\((.*)\)", api)[1], {"torch": torch, "nn": torch.nn})
            assert issubclass(value, base), f"{kata.module}.{name} must subclass {base.__name__}"
            constructor = re.search(rf"`({name}\([^`]*\))`", behaviour)
            if constructor is None:
                continue
            api = constructor[1]
        assert bare(inspect.signature(value)) == signature_of(api), (
            f"{kata.module}.{name}{inspect.signature(value)} does not match KATAS.md's {api}"
        )


@pytest.mark.skipif(not SHARED_KATAS_MD.is_file(), reason="no ../shared/KATAS.md beside this checkout")
def test_vendored_katas_md_is_current():
    assert KATAS_MD.read_text() == SHARED_KATAS_MD.read_text(), f"copy {SHARED_KATAS_MD} over {KATAS_MD}"
