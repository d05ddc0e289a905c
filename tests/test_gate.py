"""The instructor gate: the course is only as good as its tests, so this proves them.

1. every kata's tests pass against the reference;
2. against the untouched stubs no test passes, and each function reads "not started";
3. every known-wrong solution (reference/NN_topic/mutants/*.py) fails an assertion of at least one
   test (a mutant that only crashes, with a NameError say, is not caught), and every function has
   at least two of them;
4. stubs and reference expose the same public names, signatures and docstrings, matching KATAS.md,
   and every public function of a stub is graded (kata.json) and tested.
"""

from __future__ import annotations

import ast
import inspect
import json
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
MIN_MUTANTS_PER_FUNCTION = 2
KATAS_MD = Path(__file__).with_name("KATAS.md")  # the contract: the shared copy, perhaps ahead of it
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
    assert not uncovered(run.report.kata(kata.folder)), uncovered(run.report.kata(kata.folder))
    untested = [f.name for f in run.report.kata(kata.folder).functions if f.status is not Status.DONE]
    assert not untested, f"{kata.folder}: no passing test checks {untested}"


@pytest.mark.parametrize("kata", by_kata())
def test_stubs_pass_nothing(kata, kata_run):
    run = kata_run(kata, "student")
    passed = sorted(nodeid for nodeid, outcome in run.outcomes().items() if outcome is Outcome.PASSED)
    assert not passed, f"{kata.folder}: these tests pass on the untouched stubs: {passed}"
    assert not uncovered(run.report.kata(kata.folder)), uncovered(run.report.kata(kata.folder))
    for function in run.report.kata(kata.folder).functions:
        status = function.status
        expected = Status.FAILING if function.name in kata.ships_with_bug else Status.NOT_STARTED
        assert status is expected, (
            f"{kata.folder}: {function.name} reads {status.value!r} on the untouched stubs, expected {expected!r} "
            f"(a test fails for another reason before reaching the stub)\n{run.tail()}"
        )


def uncovered(result) -> str:
    """'' when every function of a kata's run report has tests, else the gate's complaint."""
    missing = [f.name for f in result.functions if not f.tests]
    return (f"{result.folder}: no test covers {', '.join(missing)}: write tests marked "
            f"@pytest.mark.checks({missing[0]!r}) in the kata's test module") if missing else ""


def test_a_function_no_test_covers_is_named():
    from katas.harness.report import FunctionResult, KataResult, TestResult

    result = KataResult("99_new", "new", "new_ops", [FunctionResult("old", 1, [TestResult("t::a")]),
                                                     FunctionResult("frobenius", 1)])
    assert uncovered(result).startswith("99_new: no test covers frobenius: write tests marked "
                                        "@pytest.mark.checks('frobenius')")


def mutated(kata: Kata, mutant: Path) -> set[str]:
    """The kata functions a mutant redefines: a def or class of that name, or one of their attributes
    assigned (``Symmetric.forward = _forward``). One that replaces only a helper counts for none."""
    names = set()
    for node in ast.parse(mutant.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        for target in node.targets if isinstance(node, ast.Assign) else []:
            while isinstance(target, ast.Attribute):
                target = target.value
            if isinstance(target, ast.Name):
                names.add(target.id)
    return names & set(kata.points)


def too_few_mutants(kata: Kata, mutants: list[Path]) -> str:
    """'' when every function of the kata has MIN_MUTANTS_PER_FUNCTION mutants, else the complaint."""
    count = {function: 0 for function in kata.points}
    for mutant in mutants:
        for function in mutated(kata, mutant):
            count[function] += 1
    short = {function: n for function, n in count.items() if n < MIN_MUTANTS_PER_FUNCTION}
    if not short:
        return ""
    return (f"{kata.folder}: every function needs at least {MIN_MUTANTS_PER_FUNCTION} known-wrong solutions "
            f"(reference/{kata.folder}/mutants/*.py, each redefining the function with a real mistake); "
            + ", ".join(f"{function} has {n}" for function, n in short.items()))


@pytest.mark.parametrize("kata", by_kata())
def test_kata_has_mutants(kata):
    assert len(mutants_of(kata)) >= MIN_MUTANTS, f"{kata.folder}: fewer than {MIN_MUTANTS} known-wrong solutions"
    complaint = too_few_mutants(kata, mutants_of(kata))
    assert not complaint, complaint


def test_a_function_without_mutants_is_named(tmp_path):
    kata = next(k for k in KATAS if k.folder == "03_einsum")
    grown = Kata(kata.folder, kata.title, kata.module, {**kata.points, "frobenius": 1})
    (tmp_path / "frobenius_squared.py").write_text('"""frobenius forgets the square root."""\n\n\n'
                                                  "def frobenius(a):\n    return torch.einsum('ij,ij->', a, a)\n")
    complaint = too_few_mutants(grown, [*mutants_of(kata), tmp_path / "frobenius_squared.py"])
    assert complaint.endswith("each redefining the function with a real mistake); frobenius has 1"), complaint
    assert "Symmetric" not in too_few_mutants(next(k for k in KATAS if k.folder == "05_parametrizations"),
                                              mutants_of(next(k for k in KATAS if k.folder == "05_parametrizations"))), (
        "a mutant that assigns Symmetric.forward counts for Symmetric")


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
    difference = names_differ(f"{kata.folder}: the stub", stub, "the reference", reference)
    assert not difference, difference
    for name in stub:
        assert described(stub[name]) == described(reference[name]), (
            f"{kata.folder}: {kata.module}.{name} differs between stub and reference (signature or docstring)"
        )


def names_differ(one: str, first, other: str, second) -> str:
    """'' when both hold the same names, else which names each lacks (never a positional diff)."""
    only_first = [name for name in first if name not in second]
    only_second = [name for name in second if name not in first]
    said = [f"{name} is in {one} but not in {other}" for name in only_first]
    said += [f"{name} is in {other} but not in {one}" for name in only_second]
    return "; ".join(said)


def test_names_differ_names_the_name_that_differs():
    assert names_differ("the stub", ["matmul", "frobenius", "trace"], "the reference", ["matmul", "trace"]) == \
        "frobenius is in the stub but not in the reference"
    assert names_differ("kata.json", ["a", "b"], "KATAS.md", ["b", "a", "c"]) == "c is in KATAS.md but not in kata.json"
    assert names_differ("x", ["a"], "y", ["a"]) == ""


def stub_functions(path: Path) -> list[str]:
    """The public functions and classes a stub module defines, in order (read, not imported)."""
    return [node.name for node in ast.parse(path.read_text()).body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_")]


def ungraded(kata: Kata, stub: Path, contract_names: list[str]) -> str:
    """'' when every public function of the stub is in kata.json and KATAS.md, else the complaint."""
    functions = stub_functions(stub)
    said = [f"{name} is in {stub.name} but not in kata.json's points, so nothing grades it" for name in functions
            if name not in kata.points]
    said += [f"{name} is in {stub.name} but not in KATAS.md's table" for name in functions if name not in contract_names]
    return f"{kata.folder}: " + "; ".join(said) if said else ""


@pytest.mark.parametrize("kata", by_kata())
def test_every_public_function_of_a_stub_is_graded(kata):
    _, cells = contract()[kata.folder]
    names = [re.match(r"(?:class )?(\w+)", api)[1] for api, _ in cells]
    complaint = ungraded(kata, ROOT / "katas" / kata.folder / f"{kata.module}.py", names)
    assert not complaint, complaint


def test_an_unlisted_function_is_named(tmp_path):
    kata = next(k for k in KATAS if k.folder == "03_einsum")
    stub = tmp_path / f"{kata.module}.py"
    stub.write_text((ROOT / "katas" / kata.folder / stub.name).read_text()
                    + '\n\ndef frobenius(a):\n    """The Frobenius norm."""\n    raise NotImplementedError\n')
    _, cells = contract()[kata.folder]
    names = [re.match(r"(?:class )?(\w+)", api)[1] for api, _ in cells]
    assert ungraded(kata, stub, names) == (
        "03_einsum: frobenius is in einsum_ops.py but not in kata.json's points, so nothing grades it; "
        "frobenius is in einsum_ops.py but not in KATAS.md's table")


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
    difference = names_differ(f"{kata.folder}/kata.json", list(kata.points), "KATAS.md's table", names)
    assert not difference, difference
    assert list(kata.points) == names, f"{kata.folder}/kata.json lists its functions in another order than KATAS.md's table"
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


def sections_of(text: str) -> dict[str, list[str]]:
    """A KATAS.md: each section's heading ("" for the text above the first) -> its non-blank lines."""
    found: dict[str, list[str]] = {"": []}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line
            found[heading] = []
        elif line.strip():
            found[heading].append(line)
    return found


def behind(shared: str, ours: str) -> list[str]:
    """What of the shared contract is missing from ours or changed in it: the project may be ahead of
    the shared copy (more rows, more sections), never in conflict with it."""
    ours_by_section = sections_of(ours)
    said = []
    for heading, lines in sections_of(shared).items():
        if heading not in ours_by_section:
            said.append(f"the section {heading!r} is missing")
            continue
        kept = ours_by_section[heading]
        said += [f"in {heading or 'the preamble'!r}, {line!r} is missing or changed"
                 for line in lines if line not in kept]
        present = [line for line in lines if line in kept]
        if present != sorted(present, key=kept.index):
            said.append(f"in {heading or 'the preamble'!r}, the shared lines come in another order")
    return said


def test_behind_names_what_the_project_changed():
    matmul, trace = "| `matmul(a, b)` | x |", "| `trace(a)` | y |"
    shared = f"# The katas\n\n## 03_einsum\n\n{matmul}\n{trace}\n"
    assert behind(shared, shared) == []
    ahead = f"# The katas\n\n## 03_einsum\n\n| `dot(u, v)` | z |\n{matmul}\n{trace}\n\n## 09_new\n"
    assert behind(shared, ahead) == []
    assert behind(shared, ahead.replace("| y |", "| w |")) == [
        "in '## 03_einsum', '| `trace(a)` | y |' is missing or changed"]
    assert behind(shared, "# The katas\n") == ["the section '## 03_einsum' is missing"]
    assert behind(shared, shared.replace(f"{matmul}\n{trace}", f"{trace}\n{matmul}")) == [
        "in '## 03_einsum', the shared lines come in another order"]


@pytest.mark.skipif(not SHARED_KATAS_MD.is_file(), reason="no ../shared/KATAS.md beside this checkout")
def test_vendored_katas_md_holds_the_shared_contract():
    """Every section and row of ../shared/KATAS.md appears unchanged in tests/KATAS.md, which may be ahead
    of it (the issue "The rest of the lecture" adds rows before the shared copy catches up)."""
    missing = behind(SHARED_KATAS_MD.read_text(), KATAS_MD.read_text())
    assert not missing, f"{KATAS_MD} conflicts with {SHARED_KATAS_MD}: " + "; ".join(missing)


@pytest.mark.parametrize("lesson", ["README.md", "README.ru.md"])
@pytest.mark.parametrize("kata", by_kata())
def test_lesson_task_table_gives_each_function_its_points(kata, lesson):
    """The lesson's task table says what kata.json counts: every function, with its points."""
    text = (ROOT / "katas" / kata.folder / lesson).read_text()
    rows = {name: int(points) for name, points in re.findall(r"^\| `(?:class )?(\w+)[^`]*` \|.*\| (\d+) \|$", text, re.M)}
    assert rows == kata.points, f"{kata.folder}/{lesson}'s task table gives {rows}, kata.json {kata.points}"


@pytest.mark.parametrize("change, said", [
    ({"point": 3}, "unknown keys ['point']"),
    ({"schema": None}, "missing keys ['schema']"),
    ({"schema": "torch-katas/kata/v0"}, "this harness reads"),
    ({"forbidden": [{"calls": ["torch.mm"], "hint": "x", "function": ["f"]}]}, "a rule: unknown keys ['function']"),
])
def test_kata_json_is_read_by_its_schema(tmp_path, change, said):
    """A misspelt key in kata.json is an error, never a rule that silently does nothing."""
    from katas.harness.kata import SCHEMA, load_kata

    data = {"schema": SCHEMA, "title": "a kata", "module": "m", "points": {"f": 1}, **change}
    folder = tmp_path / "01_kata"
    folder.mkdir()
    (folder / "kata.json").write_text(json.dumps({k: v for k, v in data.items() if v is not None}))
    with pytest.raises(ValueError, match=re.escape(said)):
        load_kata(folder)


@pytest.mark.parametrize("kata", by_kata())
def test_every_function_has_a_judged_case(kata):
    """In grading a function earns points only when the judge confirms it: one with no case of the
    judge's would be graded by the tests in the kata's own process alone."""
    from katas.harness.judge import load_cases
    from katas.harness.kata import judge_file

    path = judge_file(kata, ROOT / "katas")
    assert path.is_file(), f"{kata.folder}: no judge file ({path.name}), so grading cannot confirm any function"
    judged = {case.function for case in load_cases(path)}
    assert not set(kata.points) - judged, f"{kata.folder}: no judged case for {sorted(set(kata.points) - judged)}"
    assert judged <= set(kata.points), f"{kata.folder}: judged cases of unknown functions {sorted(judged - set(kata.points))}"
