"""Notebook mode: katas.check runs a kata's real tests against the functions a namespace (a notebook's
globals) defines, says what the notebook hides (a definition older than its cell's failed run, a
function done in the .py but missing here, functions done here but not yet in the .py), katas.save
writes them into the module with the imports they use, and starter notebooks execute, in Russian
without English of their own. The kernel tests run real notebooks headless with nbclient, an
instructor/test-only dependency (requirements-instructor.txt)."""

from __future__ import annotations

import json
import linecache
from pathlib import Path
import re
import subprocess
import sys
from types import SimpleNamespace

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
    """A namespace as a notebook builds it: each source compiled as its own cell, its text kept where
    tracebacks and inspect find it (IPython keeps each cell in linecache too)."""
    namespace: dict = {"__name__": "__main__"}
    for number, source in enumerate(sources, 1):
        name = f"<notebook cell {number}.{id(namespace)}>"
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        exec(compile(source, name, "exec"), namespace)
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
    if lang == "ru":  # the notebook's own words (not the stubs' code) are Russian, and set the language
        headings = re.findall(r"^#+ .*$", markdown, re.M)
        assert "## Ваши функции" in headings and "## Вся ката" in headings, headings
        assert not re.search(r"Your functions|The whole kata|This notebook|Run this cell", markdown + code[0])
        assert 'os.environ["KATAS_LANG"] = "ru"' in code[0] and "Выполните эту ячейку первой" in code[0]
    nbformat = pytest.importorskip("nbformat")
    nbformat.validate(nbformat.from_dict(written))


@pytest.mark.parametrize("kata", all_katas(), ids=lambda kata: kata.folder)
def test_starter_notebooks_in_both_languages_have_the_same_cells(kata):
    """The same code in the same places (the setup cell's comments and language aside), and as many
    Markdown cells: one section of the lesson each, in the notebook's language."""
    english, russian = (notebook.starter(kata, ROOT / "notebooks", lang)["cells"] for lang in ("en", "ru"))
    assert [c["cell_type"] for c in english] == [c["cell_type"] for c in russian], (
        f"{kata.folder}: the Russian starter's cells differ in kind or number from the English one's")
    code = [("".join(e["source"]), "".join(r["source"])) for e, r in zip(english, russian) if e["cell_type"] == "code"]
    assert all(en == ru for en, ru in code[1:]), f"{kata.folder}: a code cell differs between the languages"


def test_the_cli_writes_a_starter_and_keeps_an_existing_one(tmp_path, capsys):
    path = tmp_path / "03.ipynb"
    assert katas_cli(["notebook", "03", "--out", str(path)]) == 0
    assert json.loads(path.read_text())["nbformat"] == 4
    with pytest.raises(SystemExit, match="exists"):
        katas_cli(["notebook", "03", "--out", str(path)])


# --------------------------------------------------------------------------------------------------
# What a notebook hides


class FakeShell:
    """What notebook.watch_cells needs of IPython: its post_run_cell event."""

    def __init__(self):
        self.callbacks = []
        self.events = SimpleNamespace(register=lambda event, callback: self.callbacks.append(callback))

    def ran(self, number: int, source: str, error: BaseException | None = None, before: bool = True) -> None:
        result = SimpleNamespace(info=SimpleNamespace(raw_cell=source), execution_count=number,
                                 error_before_exec=error if before else None, error_in_exec=None if before else error)
        for callback in self.callbacks:
            callback(result)


@pytest.fixture
def shell(monkeypatch):
    fake = FakeShell()
    monkeypatch.setattr(notebook, "_shell", lambda: fake)
    monkeypatch.setattr(notebook, "_LOGS", {})
    notebook.watch_cells()
    return fake


WRONG_MATMUL = "def matmul(a, b):\n    return torch.einsum('ik,kj->ij', a, b) * 2\n"
BROKEN_MATMUL = "def matmul(a, b):\n    return torch.einsum('ik,kj->ij', a, b\n"  # a SyntaxError


def test_a_cell_that_failed_leaves_an_older_definition_and_the_check_says_so(shell, capsys):
    namespace = cells("import torch", WRONG_MATMUL)
    shell.ran(4, WRONG_MATMUL)
    shell.ran(5, BROKEN_MATMUL, SyntaxError("'(' was never closed"))
    report = katas.check("03_einsum", "matmul", namespace=namespace)
    stale = ("matmul: the cell that defines it failed when last run ([5], SyntaxError), so this check tested the "
             "definition an earlier run left behind: fix that cell and run it again.")
    assert report.notes == [stale], report.notes
    assert stale in capsys.readouterr().out
    shell.ran(6, WRONG_MATMUL)  # fixed and run again: the definition is the cell's
    assert katas.check("03_einsum", "matmul", namespace=namespace).notes == []


def test_a_cell_that_failed_after_its_def_ran_is_no_stale_definition(shell):
    source = WRONG_MATMUL + "matmul(torch.ones(2), torch.ones(3))\n"  # the def ran; the call after it raised
    namespace = cells("import torch", WRONG_MATMUL)
    shell.ran(3, source, RuntimeError("einsum(): the number of subscripts ..."), before=False)
    assert katas.check("03_einsum", "matmul", namespace=namespace).notes == []


def copy_of_the_kata_modules(tmp_path: Path, monkeypatch, definitions: dict[str, str] | None = None) -> Path:
    """A checkout's katas/ with 03's stub module, the functions named in ``definitions`` replaced by
    the code given (with the reference's shape-check helper beside them); notebook mode reads and writes
    it instead of the real one."""
    module = tmp_path / "katas" / "03_einsum" / "einsum_ops.py"
    module.parent.mkdir(parents=True)
    stub = (ROOT / "katas" / "03_einsum" / "einsum_ops.py").read_text()
    stubs = notebook._definitions(ROOT / "katas" / "03_einsum" / "einsum_ops.py")[1]
    for name, code in (definitions or {}).items():
        stub = stub.replace(stubs[name].rstrip(), code.rstrip())
    helper = notebook._definitions(ROOT / "reference" / "03_einsum" / "einsum_ops.py")[1]["_check"]
    module.write_text(stub + ("\n\n" + helper if definitions else ""))
    monkeypatch.setattr(notebook, "CHECKOUT_KATAS", tmp_path / "katas")
    return module


def test_a_function_done_in_the_py_but_missing_here_is_said(tmp_path, monkeypatch):
    """After a kernel restart the notebook lacks what the student already copied into the .py."""
    copy_of_the_kata_modules(tmp_path, monkeypatch, {"matmul": REFERENCE["matmul"], "outer": WRONG_MATMUL.replace(
        "matmul", "outer")})
    report = katas.check("03_einsum", namespace={})
    assert report.kata("03_einsum").function("matmul").status is Status.NOT_STARTED, "the notebook's view"
    assert report.notes == [
        "matmul: not defined in this notebook, but done in katas/03_einsum/einsum_ops.py (the grade reads the file).",
        "outer: not defined in this notebook; katas/03_einsum/einsum_ops.py has it written, and there it reads "
        "failing."], report.notes


NOTEBOOK = [  # a notebook whose functions use imports and a helper that live in other cells
    "import math\nimport torch\nfrom torch import einsum as contract\n",
    "def shapes(*tensors):\n    return ' and '.join(str(tuple(t.shape)) for t in tensors)\n",
    "def matmul(a, b):\n"
    "    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:\n"
    "        raise ValueError(f'matmul: expected (I, K) and (K, J), got shapes {shapes(a, b)}')\n"
    "    return contract('ik,kj->ij', a, b)\n",
    "def trace(a):\n"
    "    if a.ndim != 2 or a.shape[0] != a.shape[1]:\n"
    "        raise ValueError(f'trace: expected a square (N, N), got shape {shapes(a)}')\n"
    "    return contract('ii->', a) * math.prod([1])\n",
]


def test_save_writes_the_notebooks_functions_with_what_they_use_and_the_py_passes(tmp_path, monkeypatch, kata_run,
                                                                                   capsys):
    module = copy_of_the_kata_modules(tmp_path, monkeypatch)
    namespace = cells(*NOTEBOOK)
    report = katas.check("03_einsum", namespace=namespace)
    assert report.notes == ["Done here and not yet in katas/03_einsum/einsum_ops.py: matmul, trace. "
                            'katas.save("03_einsum") writes them there, with the imports they use.'], report.notes
    capsys.readouterr()
    assert katas.save("03_einsum", namespace=namespace) == ["matmul", "trace"]
    assert capsys.readouterr().out == (
        "wrote matmul, trace into katas/03_einsum/einsum_ops.py (with `from torch.functional import einsum as "
        "contract`, `import math`, shapes): check the file with `pytest katas/03_einsum`\n")
    written = module.read_text()
    compile(written, str(module), "exec")
    assert written.count("def matmul(") == 1 and "raise NotImplementedError" in written.split("def outer(")[1]
    run = kata_run(EINSUM, str(tmp_path / "katas"), "-k", "matmul or trace")
    statuses = {f.name: f.status for f in run.report.kata("03_einsum").functions if f.tests}
    assert statuses["matmul"] is Status.DONE and statuses["trace"] is Status.DONE, run.tail()
    assert katas.check("03_einsum", namespace=namespace).notes == [], "saved: nothing left to offer"


def test_an_exception_in_a_notebook_function_says_its_cell_line_and_call():
    namespace = cells("import torch", "def matmul(a, b):\n    return torch.einsum('ik,kj->ij', a, b.T)\n")
    report = katas.check("03_einsum", "matmul", namespace=namespace)
    message = report.kata("03_einsum").function("matmul").first_failure.message
    assert message.startswith("RuntimeError: einsum(): subscript k has size"), message
    assert (":2, in matmul: return torch.einsum('ik,kj->ij', a, b.T)" in message
            and "in the call matmul(a=float32 tensor (3, 4), b=float32 tensor (4, 5))" in message), message


# --------------------------------------------------------------------------------------------------
# Real notebooks in a real kernel


@pytest.fixture
def execute():
    """Run a notebook's cells in one fresh kernel started in the repository; return the notebook."""
    nbclient = pytest.importorskip("nbclient", reason="nbclient is test-only: pip install -r requirements-instructor.txt")
    nbformat = pytest.importorskip("nbformat", reason="nbformat is test-only: pip install -r requirements-instructor.txt")
    pytest.importorskip("ipykernel", reason="ipykernel is test-only: pip install -r requirements-instructor.txt")

    def run(cells: list[dict], allow_errors: bool = False):
        cells = [{"id": f"cell-{number}"} | cell for number, cell in enumerate(cells)]
        book = nbformat.reads(json.dumps(notebook.starter(EINSUM, ROOT) | {"cells": cells}), as_version=4)
        nbclient.NotebookClient(book, timeout=120, kernel_name="python3", allow_errors=allow_errors,
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
        code(notebook.setup_cell("en")),
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


@pytest.mark.timeout(180)
def test_a_kernel_says_which_cell_failed_and_where_a_function_raised(execute):
    """In a real kernel: a def cell that fails with a SyntaxError leaves the old matmul, and the check says
    so; an exception inside a notebook function is said as IPython says a cell ("Cell In[4], line 2")."""
    book = execute([
        code(notebook.setup_cell("ru")),
        code("import torch\ndef matmul(a, b):\n    return torch.einsum('ik,kj->ij', a, b) * 2\n"),
        code("def matmul(a, b):\n    return torch.einsum('ik,kj->ij', a, b\n"),
        code("def trace(a):\n    return torch.einsum('ii->', a) + None\n"),
        code('katas.check("03_einsum", "matmul")'),
        code('katas.check("03_einsum", "trace")'),
    ], allow_errors=True)
    errors = [(i, o.ename) for i, cell in enumerate(book.cells) for o in cell.outputs if o.output_type == "error"]
    assert errors == [(2, "SyntaxError")], errors
    text, _ = shown(book.cells[4])
    assert ("matmul: ячейка с её определением при последнем запуске упала ([3], SyntaxError), поэтому проверено "
            "определение, оставшееся от более раннего запуска: исправьте ячейку и выполните её снова.") in text, text
    text, _ = shown(book.cells[5])
    assert "Первая ошибка einsum_ops.trace" in text, "KATAS_LANG=ru from the Russian setup cell"
    assert "at Cell In[4], line 2, in trace: return torch.einsum('ii->', a) + None" in text, text
    assert "in the call trace(a=float32 tensor (4, 4))" in text, text


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
        for name in [function] if function else kata.points:  # a handed-out bug too, until touched
            assert re.search(rf"^   {name} +not started", text, re.M), f"{kata.folder} {name}:\n{text}"
