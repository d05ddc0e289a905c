"""Notebook mode: check the kata functions a notebook defines with the kata's own tests, write the
finished ones into the kata module, and write a starter notebook for a kata.

``katas.check("03_einsum")`` runs ``pytest katas/03_einsum`` in this process against the functions
found in the caller's namespace instead of the kata file (the harness's ``namespace:`` --impl), so the
guard, the messages, the per-test timeout and the CPU and CUDA tests are those of a file. Around the
table it says what a notebook hides: a definition older than its cell's last failed run, a function
the notebook lacks but the kata module has done, and which finished functions ``katas.save`` would
write into the module. Nothing here needs more than the standard library and what the tests need;
IPython only when it is running.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import dataclasses
import html
import io
import json
import linecache
import os
import re
import sys
import textwrap
import types
from pathlib import Path

from .harness.hints import LESSONS
from .harness.kata import KATAS_DIR, Kata, all_katas
from .harness.report import RunReport
from .harness.status import Status

LABEL = "this notebook's definitions"
# The checkout's own kata modules: what katas.save writes, and what a check reads for functions the
# notebook lacks. The tests stay KATAS_DIR's.
CHECKOUT_KATAS = KATAS_DIR
# table.lines' terminal markup, as CSS
CSS = {"green": "color:#1a7f37", "red": "color:#cf222e", "yellow": "color:#9a6700", "bold": "font-weight:bold"}


def find(name: str) -> Kata:
    """A kata by its folder (03_einsum), number (03), topic (einsum) or module (einsum_ops)."""
    katas = all_katas()
    found = [k for k in katas if name in (k.folder, k.folder[:2], k.folder[3:], k.module)]
    if len(found) != 1:
        raise ValueError(f"no kata {name!r}: choose one of {', '.join(k.folder for k in katas)}")
    return found[0]


# --------------------------------------------------------------------------------------------------
# Checking

TEXT = {
    "en": {
        "first_failure": "First failure of {where} ({nodeid}):",
        "stale": "{name}: the cell that defines it failed when last run ([{number}], {error}), so this check "
                 "tested the definition an earlier run left behind: fix that cell and run it again.",
        "file_done": "{name}: not defined in this notebook, but done in {file} (the grade reads the file).",
        "file_written": "{name}: not defined in this notebook; {file} has it written, and there it reads {status}.",
        "offer": "Done here and not yet in {file}: {names}. katas.save(\"{folder}\") writes them there, with the "
                 "imports they use.",
        "saved": "wrote {names} into {file}{extra}: check the file with `pytest katas/{folder}`",
        "saved_extra": " (with {what})",
        "nothing_to_save": "nothing to write: this notebook defines none of {folder}'s functions{which}",
        "cannot_save": "{name} uses {names}, which this notebook defines as values katas.save cannot write: "
                       "copy them into {file} yourself",
    },
    "ru": {
        "first_failure": "Первая ошибка {where} ({nodeid}):",
        "stale": "{name}: ячейка с её определением при последнем запуске упала ([{number}], {error}), поэтому "
                 "проверено определение, оставшееся от более раннего запуска: исправьте ячейку и выполните её снова.",
        "file_done": "{name}: в этом ноутбуке не определена, но в {file} уже готова (оценка берётся из файла).",
        "file_written": "{name}: в этом ноутбуке не определена; в {file} она написана, и там её статус — {status}.",
        "offer": "Готовы здесь, но ещё не перенесены в {file}: {names}. katas.save(\"{folder}\") запишет их туда "
                 "вместе с нужными им импортами.",
        "saved": "{names} записаны в {file}{extra}: проверьте файл командой `pytest katas/{folder}`",
        "saved_extra": " (вместе с {what})",
        "nothing_to_save": "записывать нечего: этот ноутбук не определяет ни одной функции каты {folder}{which}",
        "cannot_save": "{name} использует {names}: katas.save не умеет записывать такие значения, перенесите их "
                       "в {file} сами",
    },
}


def _say(key: str, **values) -> str:
    from .harness.hints import default_language

    return TEXT[default_language()][key].format(**values)


class CheckReport(RunReport):
    """The run report, with a one-line repr (a notebook shows the table already, not the dataclass)
    and the notes said around the table."""

    notes: list[str]

    def __repr__(self) -> str:
        katas = ", ".join(f"{k.folder} {k.points}/{k.max_points} points" for k in self.katas)
        return f"<run report of {self.impl}: {katas}>"


class _Run:
    """The plugin of one check: keeps only the chosen functions' tests, and their tracebacks."""

    def __init__(self, functions: set[str] | None):
        self.functions = functions
        self.tracebacks: dict[str, str] = {}  # nodeid -> what pytest would print for its failure

    def pytest_collection_modifyitems(self, config, items) -> None:
        if self.functions is None:
            return
        checks = [(item, item.get_closest_marker("checks")) for item in items]
        dropped = [item for item, mark in checks if not (mark and mark.args and mark.args[0] in self.functions)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item not in dropped]

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.tracebacks.setdefault(report.nodeid, report.longreprtext)


def _run(kata: Kata, impl: str, functions: set[str] | None) -> tuple[RunReport, _Run]:
    """Run a kata's tests (of ``functions``, or all) in this process against ``impl``, quietly: the run
    report, and the plugin that kept the failures' tracebacks."""
    import torch

    from .harness.runner import run_in_process

    run, output = _Run(functions), io.StringIO()
    with torch.random.fork_rng():  # the tests seed torch: leave the notebook's random state alone
        with contextlib.redirect_stderr(output):
            ran = run_in_process([KATAS_DIR / kata.folder], impl, [run], ["-q", "--color=no"], output=output)
    if not ran.katas:
        raise RuntimeError(f"the tests of {kata.folder} did not run; pytest said:\n{output.getvalue()[-3000:]}")
    return ran, run


def check(kata: str, function: str | None = None, namespace: dict | None = None) -> CheckReport:
    """Run a kata's tests against the functions defined in ``namespace`` (default: the caller's
    globals, which in a notebook are the notebook's); show the progress table, each function's first
    failure and the notes around them; return the run report. A kata function the namespace lacks
    reads "not started".
    """
    from .harness.loader import namespace_impl

    found = find(kata)
    if function is not None and function not in found.points:
        raise ValueError(f"{found.folder} has no function {function!r}: choose one of {', '.join(found.points)}")
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    with namespace_impl(namespace, LABEL) as impl:
        ran, run = _run(found, impl, None if function is None else {function})
    report = CheckReport(**{f.name: getattr(ran, f.name) for f in dataclasses.fields(RunReport)})
    report.notes = stale(found, namespace) + in_the_file(found, report, namespace) + offer(found, report, namespace)
    show(report, found, run.tracebacks)
    return report


def stale(kata: Kata, namespace: dict) -> list[str]:
    """A note for each kata function whose cell failed when last run, leaving an older definition in
    the namespace (or none): known only in IPython, from the runs CellLog has seen."""
    log = _LOGS.get(id(_shell()))
    if log is None:
        return []
    notes = []
    for name in kata.points:
        failed = log.failed.get(name)
        if failed is None:
            continue
        number, error, source = failed
        current = _source(namespace.get(name))
        if current is None or current not in source:
            notes.append(_say("stale", name=name, number=number, error=error))
    return notes


def in_the_file(kata: Kata, report: RunReport, namespace: dict) -> list[str]:
    """A note for each kata function this notebook lacks while the kata module has it written: done
    there, or what it reads there (its tests run against the file, for those functions only)."""
    checked = report.kata(kata.folder)
    missing = [f.name for f in checked.functions if f.tests and f.name not in namespace]
    module = CHECKOUT_KATAS / kata.folder / f"{kata.module}.py"
    written = [name for name in missing if name in _written(module)]
    if not written:
        return []
    impl = "student" if CHECKOUT_KATAS == KATAS_DIR else str(CHECKOUT_KATAS)
    in_file = _run(kata, impl, set(written))[0].kata(kata.folder)
    file = f"katas/{kata.folder}/{kata.module}.py"
    notes = []
    for name in written:
        status = in_file.shown_statuses().get(name)
        if status is Status.DONE:
            notes.append(_say("file_done", name=name, file=file))
        elif status is not None and status is not Status.NOT_STARTED:
            notes.append(_say("file_written", name=name, file=file, status=status.value))
    return notes


def offer(kata: Kata, report: RunReport, namespace: dict) -> list[str]:
    """The functions done here whose definition the kata module does not hold yet, and how to write
    them there."""
    file = CHECKOUT_KATAS / kata.folder / f"{kata.module}.py"
    in_file = _definitions(file)[1] if file.is_file() else {}
    done = [f.name for f in report.kata(kata.folder).functions if f.tests and f.status is Status.DONE]
    new = [name for name in done if (_source(namespace.get(name)) or "").strip() not in
           (in_file.get(name, "").strip(), "")]
    if not new:
        return []
    return [_say("offer", file=f"katas/{kata.folder}/{kata.module}.py", names=", ".join(new), folder=kata.folder)]


def failures(report: RunReport) -> list[tuple[str, str, str]]:
    """(module.function, nodeid, message) of each function's first failure."""
    return [(f"{k.module}.{f.name}", f.first_failure.nodeid, f.first_failure.message)
            for k in report.katas for f in k.functions if f.first_failure is not None]


def as_text(report: RunReport, kata: Kata) -> str:
    from .harness import table

    text = [line for line, _ in table.lines(report, {kata.folder: kata})]
    for where, nodeid, message in failures(report):
        text += ["", _say("first_failure", where=where, nodeid=nodeid), message]
    notes = getattr(report, "notes", [])
    return "\n".join(text + ([""] + notes if notes else []))


def as_html(report: RunReport, kata: Kata, tracebacks: dict[str, str]) -> str:
    from .harness import table

    rows = []
    for line, markup in table.lines(report, {kata.folder: kata}):
        style = ";".join(CSS[key] for key, on in markup.items() if on and key in CSS)
        rows.append(f'<span style="{style}">{html.escape(line)}</span>' if style else html.escape(line))
    parts = [f"<pre>{chr(10).join(rows)}</pre>"]
    for where, nodeid, message in failures(report):
        head = html.escape(_say("first_failure", where="\0", nodeid=nodeid)).replace(
            "\0", f"<code>{html.escape(where)}</code>")
        parts.append(f"<p><b>{head}</b></p><pre>{html.escape(message)}</pre>")
        traceback = tracebacks.get(nodeid, "")
        if traceback.strip() and traceback.strip() != message.strip():
            parts.append(f"<details><summary>traceback</summary><pre>{html.escape(traceback)}</pre></details>")
    parts += [f"<p>{html.escape(note)}</p>" for note in getattr(report, "notes", [])]
    return f'<div class="katas-check">{"".join(parts)}</div>'


def show(report: RunReport, kata: Kata, tracebacks: dict[str, str]) -> None:
    """The table, the first failures and the notes: HTML in Jupyter (and Colab), plain text elsewhere."""
    text = as_text(report, kata)
    if _kernel() is None:
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text, "text/html": as_html(report, kata, tracebacks)}, raw=True)


def _shell():
    """IPython's running shell (a terminal or a kernel), or None. Never imports IPython: running under
    IPython has imported it."""
    ipython = sys.modules.get("IPython")
    return ipython.get_ipython() if ipython is not None else None


def _kernel():
    """The running Jupyter kernel's shell, or None (plain Python, a terminal IPython)."""
    shell = _shell()
    return shell if getattr(shell, "kernel", None) is not None else None


# --------------------------------------------------------------------------------------------------
# What the notebook's cells did

DEFINES = re.compile(r"^(?:async\s+)?(?:def|class)\s+(\w+)", re.M)


class CellLog:
    """Which kata-looking names each run of a cell defined, and the last failed run of each: a cell
    that fails (a SyntaxError, or an error before its def ran) leaves the old definition in place,
    and a check would test that one without a word. Fed by IPython's post_run_cell event."""

    def __init__(self) -> None:
        self.failed: dict[str, tuple[int, str, str]] = {}  # name -> (run number, error, the cell's source)

    def record(self, result) -> None:
        source = getattr(result.info, "raw_cell", "") or ""
        names = DEFINES.findall(source)
        if not names:
            return
        error = result.error_before_exec or result.error_in_exec
        for name in names:
            if error is None:
                self.failed.pop(name, None)
            else:
                self.failed[name] = (result.execution_count, type(error).__name__, source)


_LOGS: dict[int, CellLog] = {}  # id(shell) -> its log: one per IPython shell, for the kernel's life


def watch_cells(shell=None) -> None:
    """Start logging the runs of cells in the running IPython (once per shell); nothing elsewhere."""
    shell = shell or _shell()
    if shell is None or id(shell) in _LOGS:
        return
    _LOGS[id(shell)] = log = CellLog()
    shell.events.register("post_run_cell", log.record)


def load_ipython_extension(ipython) -> None:
    """`%load_ext katas` gives `%kata NN_topic [function]`, which is katas.check on the notebook."""

    def kata(line: str):
        """%kata NN_topic [function]: check this notebook's definitions with the kata's tests."""
        words = line.split()
        if len(words) not in (1, 2):
            print("usage: %kata NN_topic [function]   e.g. %kata 03_einsum matmul")
            return None
        return check(words[0], words[1] if len(words) == 2 else None, ipython.user_ns)

    watch_cells(ipython)
    ipython.register_magic_function(kata, "line", "kata")


# --------------------------------------------------------------------------------------------------
# Writing the notebook's functions into the kata module


def save(kata: str, function: str | None = None, namespace: dict | None = None) -> list[str]:
    """Write the kata functions this notebook defines (``function`` alone, if given) into the kata
    module, each in place of the module's definition of it, with the imports and the notebook's own
    helpers and constants they use; return the names written. The grader reads only the module."""
    found = find(kata)
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    names = [name for name in found.points if function in (None, name) and _source(namespace.get(name))]
    path = CHECKOUT_KATAS / found.folder / f"{found.module}.py"
    file = f"katas/{found.folder}/{found.module}.py"
    if not names:
        print(_say("nothing_to_save", folder=found.folder, which=f" ({function})" if function else ""))
        return []
    module = path.read_text(encoding="utf-8")
    imports, helpers, unwritable = _needs(names, namespace, module, found)
    for name, values in unwritable.items():
        print(_say("cannot_save", name=name, names=", ".join(values), file=file))
    path.write_text(_written_module(module, {name: _source(namespace[name]) for name in names}, imports, helpers),
                    encoding="utf-8")
    what = [f"`{line}`" for line in imports] + list(helpers)
    print(_say("saved", names=", ".join(names), file=file, folder=found.folder,
               extra=_say("saved_extra", what=", ".join(what)) if what else ""))
    return names


def _source(value) -> str | None:
    """The source of a function or class as the cell (or file) it was compiled from holds it."""
    from .harness.feedback import definition

    if type(value) is types.FunctionType:
        return definition(value)
    if isinstance(value, type):
        methods = [m for m in vars(value).values() if type(m) is types.FunctionType]
        if not methods:
            return None
        code = methods[0].__code__
        text = "".join(linecache.getlines(code.co_filename))
        try:
            tree = ast.parse(text)
        except SyntaxError:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name == value.__name__ and \
                    node.lineno <= code.co_firstlineno <= node.end_lineno:
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                return "".join(text.splitlines(keepends=True)[start - 1:node.end_lineno]).rstrip() + "\n"
    return None


def _written(path: Path) -> set[str]:
    """The kata functions and classes the module has written, anything but a stub's body."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError):
        return set()

    def stub(node) -> bool:
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]  # the docstring
        if isinstance(node, ast.ClassDef):
            methods = [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            return all(stub(m) for m in methods)
        return len(body) == 1 and isinstance(body[0], ast.Raise) and "NotImplementedError" in ast.unparse(body[0])

    return {node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not stub(node)}


def _globals_used(value) -> set[str]:
    codes = [value.__code__] if type(value) is types.FunctionType else [
        m.__code__ for m in vars(value).values() if type(m) is types.FunctionType]
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names


def _needs(names: list[str], namespace: dict, module: str, kata: Kata):
    """What the functions use from the notebook besides themselves: import lines the module lacks,
    helpers (functions, classes, simple constants) it lacks as source, and per function the values
    that cannot be written."""
    tree = ast.parse(module)
    bound = {alias.asname or alias.name.split(".")[0] for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in node.names}
    bound |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    bound |= {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}
    history = _imports_in_history()
    imports: list[str] = []
    helpers: dict[str, str] = {}
    unwritable: dict[str, list[str]] = {}
    todo = [(name, namespace[name]) for name in names]
    seen = set(names)
    while todo:
        owner, value = todo.pop(0)
        for used in sorted(_globals_used(value)):
            if used in seen or used in kata.points or used not in namespace or used in vars(builtins):
                continue
            seen.add(used)
            thing = namespace[used]
            line = history.get(used) or _import_line(used, thing)
            if line is not None:
                if used not in bound and line not in imports:
                    imports.append(line)
            elif _source(thing) is not None and getattr(thing, "__module__", None) in (None, "__main__", namespace.get("__name__")):
                if used not in bound:
                    helpers[used] = _source(thing)
                todo.append((used, thing))
            elif type(thing) in (int, float, str, bool, bytes) or thing is None:
                if used not in bound:
                    helpers[used] = f"{used} = {thing!r}\n"
            elif used not in bound:
                unwritable.setdefault(owner, []).append(used)
    return imports, helpers, unwritable


def _imports_in_history() -> dict[str, str]:
    """name -> the import statement (as written) that last bound it in this IPython session's cells."""
    shell = _shell()
    found: dict[str, str] = {}
    for cell in getattr(shell, "user_ns", {}).get("In", []) if shell is not None else []:
        try:
            tree = ast.parse(cell)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    single = type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": [alias]})
                    found[alias.asname or alias.name.split(".")[0]] = ast.unparse(single)
    return found


def _import_line(name: str, value) -> str | None:
    """An import statement that binds ``name`` to ``value`` (a module, or a function or class of one)."""
    if isinstance(value, types.ModuleType):
        full = value.__name__
        if full == name:
            return f"import {name}"
        parent, _, last = full.rpartition(".")
        if last == name and parent:
            return f"from {parent} import {name}"
        return f"import {full} as {name}"
    home = getattr(value, "__module__", None)
    if home and home not in ("__main__", "builtins") and getattr(value, "__name__", None) and \
            getattr(sys.modules.get(home), value.__name__, None) is value:
        return f"from {home} import {value.__name__}" + (f" as {name}" if name != value.__name__ else "")
    return None


def _written_module(module: str, sources: dict[str, str], imports: list[str], helpers: dict[str, str]) -> str:
    """The module with each definition in ``sources`` replaced (or added at the end), the import lines
    after its last top-level import, and the helpers before the first definition that is replaced."""
    lines = module.splitlines(keepends=True)
    tree = ast.parse(module)
    spans = {}  # name -> (first line, last line), 1-based, decorators included
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            spans[node.name] = (min([node.lineno] + [d.lineno for d in node.decorator_list]), node.end_lineno)
    after_imports = max([node.end_lineno for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))],
                        default=0)
    if not after_imports and tree.body and isinstance(tree.body[0], ast.Expr):
        after_imports = tree.body[0].end_lineno  # after the module docstring
    edits = []  # (first, last, replacement): lines first..last (1-based) become replacement
    replaced = sorted((spans[name] + (name,) for name in sources if name in spans))
    helper_text = "".join(text.rstrip() + "\n\n\n" for text in helpers.values())
    for number, (first, last, name) in enumerate(replaced):
        edits.append((first, last, (helper_text if number == 0 else "") + textwrap.dedent(sources[name]).rstrip() + "\n"))
    appended = [name for name in sources if name not in spans]
    tail = (helper_text if not replaced else "") + "".join(
        "\n\n" + textwrap.dedent(sources[name]).rstrip() + "\n" for name in appended)
    if imports:
        edits.append((after_imports + 1, after_imports, "".join(line + "\n" for line in imports)))
    for first, last, replacement in sorted(edits, reverse=True):
        lines[first - 1:last] = [replacement]
    return "".join(lines).rstrip() + "\n" + tail


# --------------------------------------------------------------------------------------------------
# The starter notebook

# The setup cell: its comments, and what it says when no checkout is found, in the notebook's language.
SETUP = {"en": (
    "# Run this cell first: it makes `import katas` work from inside your torch-katas checkout.\n"
    "# In Colab, clone your copy of the repository first, in a cell of its own:\n"
    "#   !git clone https://github.com/YOU/YOUR-TORCH-KATAS.git && pip install -q -r YOUR-TORCH-KATAS/requirements.txt\n"
    "# (Runtime > Change runtime type > GPU, and the CUDA half of the tests runs too.)\n",
    "no katas/ here: open this notebook inside your torch-katas checkout, or clone it (see above)",
    ""), "ru": (
    "# Выполните эту ячейку первой: после неё `import katas` работает изнутри вашей копии torch-katas.\n"
    "# В Colab сначала склонируйте свою копию репозитория, в отдельной ячейке:\n"
    "#   !git clone https://github.com/YOU/YOUR-TORCH-KATAS.git && pip install -q -r YOUR-TORCH-KATAS/requirements.txt\n"
    "# (Среда выполнения > Сменить среду выполнения > GPU, и тогда пройдут и тесты на CUDA.)\n",
    "здесь нет katas/: откройте этот ноутбук внутри своей копии torch-katas или склонируйте её (см. выше)",
    "os.environ[\"KATAS_LANG\"] = \"ru\"  # katas.check, katas.save и подсказки говорят по-русски\n")}
SETUP_CODE = '''\
{os}import pathlib
import sys

{language}_here = pathlib.Path.cwd()
_places = [_here, *_here.parents, *(p for p in _here.iterdir() if p.is_dir())]
_root = next((p for p in _places if (p / "katas" / "__init__.py").is_file()), None)
if _root is None:
    raise RuntimeError({missing!r})
sys.path.insert(0, str(_root))
import katas
'''


def setup_cell(lang: str = "en") -> str:
    comments, missing, language = SETUP[lang]
    return comments + SETUP_CODE.format(missing=missing, language=language + "\n" if language else "",
                                        os="import os\n" if language else "")


HOW = {"en": """\
**This notebook** checks your code with the kata's own tests: write each function in its cell, run
it, then run the check cell below it. `katas.check("{folder}", "name")` tests one function,
`katas.check("{folder}")` all of them (or `%load_ext katas`, then `%kata {folder} name`). A function
you have not written yet reads "not started". The grader reads `katas/{folder}/{module}.py`: when
functions are done here, `katas.save("{folder}")` writes them there, with the imports they use.""", "ru": """\
**Этот ноутбук** проверяет ваш код тестами самой каты: напишите каждую функцию в её ячейке, выполните
её, затем выполните ячейку проверки под ней. `katas.check("{folder}", "name")` проверяет одну функцию,
`katas.check("{folder}")` — все сразу (или `%load_ext katas`, затем `%kata {folder} name`). Таблица
проверки пишет статусы по-английски: `done` — готово, `failing` — тесты не проходят, `not started` —
функция ещё не написана. Оценка берётся из `katas/{folder}/{module}.py`: когда функции здесь готовы,
`katas.save("{folder}")` запишет их туда вместе с нужными им импортами."""}
YOUR_FUNCTIONS = {
    "en": "## Your functions\n\nThe stubs of `katas/{folder}/{module}.py`, one per cell: replace each "
          "`raise NotImplementedError` with your solution.",
    "ru": "## Ваши функции\n\nЗаготовки из `katas/{folder}/{module}.py`, по одной в ячейке: замените каждый "
          "`raise NotImplementedError` своим решением.",
}
WHOLE_KATA = {"en": "## The whole kata", "ru": "## Вся ката"}
LANGUAGE_LINKS = re.compile(r"^(\*\*English\*\*|\[English\])")  # a lesson's first line: meaningless in a notebook


def _cell(kind: str, source: str, number: int) -> dict:
    cell = {"cell_type": kind, "id": f"cell-{number}", "metadata": {}, "source": source.splitlines(keepends=True)}
    return cell | ({"execution_count": None, "outputs": []} if kind == "code" else {})


def _definitions(path: Path) -> tuple[list[str], dict[str, str]]:
    """The module's top-level statements other than its docstring and definitions (the imports),
    and the source of each function and class, decorators included."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    setup, definitions = [], {}
    for index, node in enumerate(ast.parse(source).body):
        text = "".join(lines[min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1:
                             node.end_lineno])
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            definitions[node.name] = text.rstrip() + "\n"
        elif not (index == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)):
            setup.append(text.rstrip())
    return setup, definitions


def _lesson(readme: Path, links_from: Path) -> list[str]:
    """The kata's README as Markdown cells, one per section; relative links made to work from the
    notebook's folder."""
    text = readme.read_text(encoding="utf-8")
    base = Path(os.path.relpath(readme.parent, links_from)).as_posix()

    def relink(match: re.Match) -> str:
        target = match[2]
        if re.match(r"[a-z]+:|#|/", target):
            return match[0]
        return f"]({base}/{target})"

    sections, fenced = [[]], False
    lines = text.splitlines()
    if lines and LANGUAGE_LINKS.match(lines[0]):
        lines = lines[1:]
    for line in re.sub(r"(\]\()([^)\s]+)\)", relink, "\n".join(lines)).splitlines():
        fenced ^= line.lstrip().startswith("```")
        if not fenced and re.match(r"#{1,3} ", line) and sections[-1]:
            sections.append([])
        sections[-1].append(line)
    return ["\n".join(lines).strip() for lines in sections if "".join(lines).strip()]


def starter(kata: Kata, folder: Path, lang: str = "en") -> dict:
    """The starter notebook of a kata (nbformat 4 JSON), for a notebook that will sit in ``folder``,
    with the lesson in ``lang``."""
    kata_dir = KATAS_DIR / kata.folder
    setup, definitions = _definitions(kata_dir / f"{kata.module}.py")
    lesson = _lesson(kata_dir / LESSONS[lang], folder)
    sources = [("markdown", lesson[0]), ("markdown", HOW[lang].format(folder=kata.folder, module=kata.module)),
               ("code", setup_cell(lang)), ("code", "\n".join(setup) + "\n")]
    sources += [("markdown", section) for section in lesson[1:]]
    sources.append(("markdown", YOUR_FUNCTIONS[lang].format(folder=kata.folder, module=kata.module)))
    for name in kata.points:
        sources.append(("code", definitions.get(name, f"def {name}(*args, **kwargs):\n    raise NotImplementedError\n")))
        sources.append(("code", f'katas.check("{kata.folder}", "{name}")\n'))
    sources.append(("markdown", WHOLE_KATA[lang]))
    sources.append(("code", f'katas.check("{kata.folder}")\n'))
    return {
        "cells": [_cell(kind, source, number) for number, (kind, source) in enumerate(sources, 1)],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_starter(kata: Kata, path: Path, lang: str = "en") -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(starter(kata, path.parent.resolve(), lang), indent=1, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path
