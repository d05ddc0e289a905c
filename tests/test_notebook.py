"""Notebook mode: katas.check runs a kata's real tests against the functions a namespace (a notebook's
globals) defines, and starter notebooks execute. The kernel tests run real notebooks headless with
nbclient, an instructor/test-only dependency (requirements-instructor.txt)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import torch

import katas
from katas import notebook
from katas.__main__ import main as katas_cli
from katas.harness.kata import ROOT, all_katas, load_kata
from katas.harness.report import RunReport
from katas.harness.status import Status

# Each check is a whole pytest run of a kata inside this test: pytest's 10 s per test is too tight for
# that on a machine that the classroom's background runs share.
pytestmark = pytest.mark.timeout(60)

EINSUM = load_kata(ROOT / "katas" / "03_einsum")
SETUP, REFERENCE = notebook._definitions(ROOT / "reference" / "03_einsum" / "einsum_ops.py")
SETUP = "\n".join(SETUP) + "\n\n" + REFERENCE.pop("_check")  # its imports and shape-check helper


def cells(*sources: str) -> dict:
    """A namespace as a notebook builds it: each source compiled as its own cell."""
    namespace: dict = {"__name__": "__main__"}
    for number, source in enumerate(sources, 1):
        exec(compile(source, f"<notebook cell {number}>", "exec"), namespace)
    return namespace


def statuses(report: RunReport, kata: str = "03_einsum") -> dict[str, Status]:
    return {f.name: f.status for f in report.kata(kata).functions if f.tests}


def test_correct_definitions_read_done():
    report = katas.check("03_einsum", namespace=cells(SETUP, *REFERENCE.values()))
    assert isinstance(report, RunReport)
    assert set(statuses(report).values()) == {Status.DONE}
    assert report.kata("03_einsum").points == report.kata("03_einsum").max_points


def test_wrong_partial_and_missing_definitions_each_read_as_in_a_file(capsys):
    wrong = "def hadamard(a, b):\n    return torch.einsum('...,...->...', a, a)\n"
    namespace = cells(SETUP, REFERENCE["matmul"], REFERENCE["linear"], wrong)
    report = katas.check("03_einsum", namespace=namespace)
    found = statuses(report)
    assert found.pop("matmul") is Status.DONE and found.pop("linear") is Status.DONE
    assert found.pop("hadamard") is Status.FAILING
    assert set(found.values()) == {Status.NOT_STARTED}, "functions the namespace lacks read 'not started'"
    failure = report.kata("03_einsum").function("hadamard").first_failure
    assert "einsum_ops.hadamard" in failure.message and "multiplied elementwise" in failure.message
    shown = capsys.readouterr().out
    assert re.search(r"^   hadamard +failing", shown, re.M) and re.search(r"^   outer +not started", shown, re.M)
    assert f"First failure of einsum_ops.hadamard ({failure.nodeid}):\n{failure.message}" in shown


def test_a_missing_class_reads_not_started():
    report = katas.check("01_optimizers", namespace={})
    assert set(statuses(report, "01_optimizers").values()) == {Status.NOT_STARTED}


def test_forbidden_aliases_and_mutated_inputs_are_caught_and_the_namespace_restored():
    namespace = cells(
        "import torch\nfrom torch import mm",
        "def matmul(a, b):\n    torch.einsum('ik,kj->ij', a, b)\n    return mm(a, b)\n",
        "def attention_scores(q, k):\n    q *= q.shape[-1] ** -0.5\n    return torch.einsum('bhtd,bhsd->bhts', q, k)\n",
    )
    report = katas.check("03_einsum", namespace=namespace)
    kata = report.kata("03_einsum")
    assert "called torch.mm, which is off-limits" in kata.function("matmul").first_failure.message
    assert "modified its input `q` in place" in kata.function("attention_scores").first_failure.message
    assert namespace["mm"] is torch.mm, "the guard's patch of the alias outlives the check"


def test_a_stub_calling_another_reads_blocked_like_in_a_file():
    namespace = cells("import torch", "def matmul(a, b):\n    raise NotImplementedError\n",
                      "def linear(x, w):\n    return matmul(x, w.T)\n")
    report = katas.check("03_einsum", "linear", namespace=namespace)
    assert statuses(report) == {"linear": Status.BLOCKED}


def test_one_function_runs_only_its_own_tests():
    report = katas.check("03_einsum", "matmul", namespace=cells(SETUP, REFERENCE["matmul"]))
    kata = report.kata("03_einsum")
    assert statuses(report) == {"matmul": Status.DONE}, "'matmul' must not also pick batched_matmul's tests"
    assert kata.function("batched_matmul").deselected > 0
    with pytest.raises(ValueError, match="has no function 'matmull'"):
        katas.check("03_einsum", "matmull", namespace={})


def test_the_default_namespace_is_the_callers_globals():
    namespace = cells(SETUP, "import katas", REFERENCE["matmul"],
                      "report = katas.check('03_einsum', 'matmul')")
    assert statuses(namespace["report"]) == {"matmul": Status.DONE}


def test_html_escapes_what_the_code_said():
    namespace = cells("def matmul(a, b):\n    raise RuntimeError('<b>not bold</b> & co')\n")
    report = katas.check("03_einsum", "matmul", namespace=namespace)
    shown = notebook.as_html(report, EINSUM, {})
    assert "&lt;b&gt;not bold&lt;/b&gt; &amp; co" in shown and "<b>not bold" not in shown


def test_plain_python_without_ipython_imports_and_checks():
    script = ("import sys; sys.modules['IPython'] = None\n"  # any import of IPython would now fail
              "import katas\n"
              "def matmul(a, b):\n    raise NotImplementedError\n"
              "katas.check('03_einsum', 'matmul')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^   matmul +not started", done.stdout, re.M), done.stdout


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("kata", all_katas(), ids=lambda kata: kata.folder)
def test_starter_notebook_has_the_lesson_and_a_stub_and_check_per_function(kata, lang):
    written = notebook.starter(kata, ROOT / "notebooks", lang)
    code = ["".join(cell["source"]) for cell in written["cells"] if cell["cell_type"] == "code"]
    markdown = "\n".join("".join(cell["source"]) for cell in written["cells"] if cell["cell_type"] == "markdown")
    lesson = (ROOT / "katas" / kata.folder / notebook.LESSONS[lang]).read_text().splitlines()
    title = next(line for line in lesson if line.startswith("# "))
    assert markdown.startswith(title), "the lesson's title opens the notebook, without the language links"
    assert "[English]" not in markdown and "**English**" not in markdown
    for name in kata.points:
        stub = next(i for i, source in enumerate(code) if re.search(rf"^(def|class) {name}\b", source, re.M))
        assert code[stub + 1] == f'katas.check("{kata.folder}", "{name}")\n'
    assert code[-1] == f'katas.check("{kata.folder}")\n'
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.from_dict(written))


def test_the_cli_writes_a_starter_and_keeps_an_existing_one(tmp_path, capsys):
    path = tmp_path / "03.ipynb"
    assert katas_cli(["notebook", "03", "--out", str(path)]) == 0
    assert json.loads(path.read_text())["nbformat"] == 4
    with pytest.raises(SystemExit, match="exists"):
        katas_cli(["notebook", "03", "--out", str(path)])


# --------------------------------------------------------------------------------------------------
# Real notebooks in a real kernel


@pytest.fixture
def execute():
    """Run a notebook's cells in one fresh kernel started in the repository; return the notebook."""
    nbclient = pytest.importorskip("nbclient", reason="nbclient is test-only: pip install -r requirements-instructor.txt")
    nbformat = pytest.importorskip("nbformat", reason="nbformat is test-only: pip install -r requirements-instructor.txt")
    pytest.importorskip("ipykernel", reason="ipykernel is test-only: pip install -r requirements-instructor.txt")

    def run(cells: list[dict]):
        cells = [{"id": f"cell-{number}"} | cell for number, cell in enumerate(cells)]
        book = nbformat.reads(json.dumps(notebook.starter(EINSUM, ROOT) | {"cells": cells}), as_version=4)
        nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                                resources={"metadata": {"path": str(ROOT)}}).execute()
        return book

    return run


def code(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def shown(cell) -> tuple[str, str]:
    """(plain text, HTML) of what a cell displayed or printed."""
    text = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in cell.outputs)
    return text, "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)


@pytest.mark.timeout(180)
def test_a_notebook_defines_two_functions_and_checks_them(execute):
    book = execute([
        code(notebook.SETUP),
        code("ran = []\nran.append('this cell')"),
        code(SETUP + "\n\n" + REFERENCE["matmul"] + "\n\n"
             "def hadamard(a, b):\n    out = torch.einsum('...,...->...', a, b)\n    a.mul_(1)\n    return out\n"),
        code("%load_ext katas\n%kata 03_einsum matmul"),
        code('report = katas.check("03_einsum", "hadamard")'),
        code('import json\nr = katas.check("03_einsum")\n'
             'print(json.dumps({f.name: f.status.value for f in r.kata("03_einsum").functions}), len(ran))'),
    ])
    errors = [o for cell in book.cells for o in cell.outputs if o.output_type == "error"]
    assert not errors, errors
    text, html = shown(book.cells[3])
    assert re.search(r"^   matmul +done", text, re.M) and '<span style="color:#1a7f37">' in html
    text, html = shown(book.cells[4])
    assert "modified its input `a` in place" in text and "First failure of <code>einsum_ops.hadamard</code>" in html
    printed = "".join(o.text for o in book.cells[5].outputs if o.output_type == "stream" and o.name == "stdout")
    found, runs = printed.strip().rsplit(" ", 1)
    found = json.loads(found)
    assert found.pop("matmul") == "done" and found.pop("hadamard") == "failing"
    assert set(found.values()) == {"not started"}
    assert runs == "1", "the check ran the notebook's other cells again"


@pytest.mark.timeout(600)
def test_every_starter_notebook_executes_and_its_checks_say_not_started(execute):
    """Every kata's starter, all in one kernel (one kernel start, one torch import)."""
    checks, all_cells = [], []
    for kata in all_katas():
        for cell in notebook.starter(kata, ROOT / "notebooks")["cells"]:
            called = re.fullmatch(r'katas\.check\("(\w+)"(?:, "(\w+)")?\)\n', "".join(cell["source"]))
            if called:
                checks.append((len(all_cells), kata, called[2]))
            all_cells.append(cell | {"id": f"{kata.folder}-{cell['id']}"})
    book = execute(all_cells)
    errors = [(i, o.ename, o.evalue) for i, cell in enumerate(book.cells) for o in cell.get("outputs", [])
              if o.output_type == "error"]
    assert not errors, errors
    for index, kata, function in checks:
        text = shown(book.cells[index])[0]
        for name in [function] if function else kata.points:
            expected = "failing" if name in kata.ships_with_bug else "not started"
            assert re.search(rf"^   {name} +{expected}", text, re.M), f"{kata.folder} {name}:\n{text}"
