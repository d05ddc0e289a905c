"""Notebook mode: check the kata functions a notebook defines with the kata's own tests, and write a
starter notebook for a kata.

``katas.check("03_einsum")`` runs ``pytest katas/03_einsum`` in this process against the functions
found in the caller's namespace instead of the kata file (the harness's ``namespace:`` --impl), so the
guard, the messages, the per-test timeout and the CPU and CUDA tests are those of a file. Nothing
here needs more than the standard library and what the tests need; IPython only when it is running.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import html
import io
import json
import os
import re
import sys
from pathlib import Path

from .harness.kata import KATAS_DIR, Kata, all_katas
from .harness.report import RunReport

LABEL = "this notebook's definitions"
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


class CheckReport(RunReport):
    """The run report, with a one-line repr: a notebook shows the table already, not the dataclass."""

    def __repr__(self) -> str:
        katas = ", ".join(f"{k.folder} {k.points}/{k.max_points} points" for k in self.katas)
        return f"<run report of {self.impl}: {katas}>"


class _Run:
    """The plugin of one check: keeps only the chosen function's tests, and their tracebacks."""

    def __init__(self, function: str | None):
        self.function = function
        self.tracebacks: dict[str, str] = {}  # nodeid -> what pytest would print for its failure

    def pytest_collection_modifyitems(self, config, items) -> None:
        if self.function is None:
            return
        checks = [(item, item.get_closest_marker("checks")) for item in items]
        dropped = [item for item, mark in checks if not (mark and mark.args and mark.args[0] == self.function)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if item not in dropped]

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.tracebacks.setdefault(report.nodeid, report.longreprtext)


def check(kata: str, function: str | None = None, namespace: dict | None = None) -> CheckReport:
    """Run a kata's tests against the functions defined in ``namespace`` (default: the caller's
    globals, which in a notebook are the notebook's); show the progress table and each function's
    first failure; return the run report. A kata function the namespace lacks reads "not started".
    """
    import torch

    from .harness.loader import namespace_impl
    from .harness.runner import run_in_process

    found = find(kata)
    if function is not None and function not in found.points:
        raise ValueError(f"{found.folder} has no function {function!r}: choose one of {', '.join(found.points)}")
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    run, output = _Run(function), io.StringIO()
    with namespace_impl(namespace, LABEL) as impl, torch.random.fork_rng():  # the tests seed torch
        with contextlib.redirect_stderr(output):
            ran = run_in_process([KATAS_DIR / found.folder], impl, [run], ["-q", "--color=no"], output=output)
    if not ran.katas:
        raise RuntimeError(f"the tests of {found.folder} did not run; pytest said:\n{output.getvalue()[-3000:]}")
    report = CheckReport(**{f.name: getattr(ran, f.name) for f in dataclasses.fields(RunReport)})
    show(report, found, run.tracebacks)
    return report


def failures(report: RunReport) -> list[tuple[str, str, str]]:
    """(module.function, nodeid, message) of each function's first failure."""
    return [(f"{k.module}.{f.name}", f.first_failure.nodeid, f.first_failure.message)
            for k in report.katas for f in k.functions if f.first_failure is not None]


def as_text(report: RunReport, kata: Kata) -> str:
    from .harness import table

    text = [line for line, _ in table.lines(report, {kata.folder: kata})]
    for where, nodeid, message in failures(report):
        text += ["", f"First failure of {where} ({nodeid}):", message]
    return "\n".join(text)


def as_html(report: RunReport, kata: Kata, tracebacks: dict[str, str]) -> str:
    from .harness import table

    rows = []
    for line, markup in table.lines(report, {kata.folder: kata}):
        style = ";".join(CSS[key] for key, on in markup.items() if on and key in CSS)
        rows.append(f'<span style="{style}">{html.escape(line)}</span>' if style else html.escape(line))
    parts = [f"<pre>{chr(10).join(rows)}</pre>"]
    for where, nodeid, message in failures(report):
        parts.append(f"<p><b>First failure of <code>{html.escape(where)}</code></b> "
                     f"<small>({html.escape(nodeid)})</small></p><pre>{html.escape(message)}</pre>")
        traceback = tracebacks.get(nodeid, "")
        if traceback.strip() and traceback.strip() != message.strip():
            parts.append(f"<details><summary>traceback</summary><pre>{html.escape(traceback)}</pre></details>")
    return f'<div class="katas-check">{"".join(parts)}</div>'


def show(report: RunReport, kata: Kata, tracebacks: dict[str, str]) -> None:
    """The table and the first failures: HTML in Jupyter (and Colab), plain text elsewhere."""
    text = as_text(report, kata)
    if _kernel() is None:
        print(text)
        return
    from IPython.display import display

    display({"text/plain": text, "text/html": as_html(report, kata, tracebacks)}, raw=True)


def _kernel():
    """The running Jupyter kernel's shell, or None (plain Python, a terminal IPython)."""
    ipython = sys.modules.get("IPython")  # never imported here: running under IPython imported it
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if getattr(shell, "kernel", None) is not None else None


def load_ipython_extension(ipython) -> None:
    """`%load_ext katas` gives `%kata NN_topic [function]`, which is katas.check on the notebook."""

    def kata(line: str):
        """%kata NN_topic [function]: check this notebook's definitions with the kata's tests."""
        words = line.split()
        if len(words) not in (1, 2):
            print("usage: %kata NN_topic [function]   e.g. %kata 03_einsum matmul")
            return None
        return check(words[0], words[1] if len(words) == 2 else None, ipython.user_ns)

    ipython.register_magic_function(kata, "line", "kata")


# --------------------------------------------------------------------------------------------------
# The starter notebook

SETUP = '''\
# Run this cell first: it makes `import katas` work from inside your torch-katas checkout.
# In Colab, clone your copy of the repository first, in a cell of its own:
#   !git clone https://github.com/YOU/YOUR-TORCH-KATAS.git && pip install -q -r YOUR-TORCH-KATAS/requirements.txt
# (Runtime > Change runtime type > GPU, and the CUDA half of the tests runs too.)
import pathlib
import sys

_here = pathlib.Path.cwd()
_places = [_here, *_here.parents, *(p for p in _here.iterdir() if p.is_dir())]
_root = next((p for p in _places if (p / "katas" / "__init__.py").is_file()), None)
if _root is None:
    raise RuntimeError("no katas/ here: open this notebook inside your torch-katas checkout, or clone it (see above)")
sys.path.insert(0, str(_root))
import katas
'''

HOW = {"en": """\
**This notebook** checks your code with the kata's own tests: write each function in its cell, run
it, then run the check cell below it. `katas.check("{folder}", "name")` tests one function,
`katas.check("{folder}")` all of them (or `%load_ext katas`, then `%kata {folder} name`). A function
you have not written yet reads "not started". The grader still reads
`katas/{folder}/{module}.py`: when a function is done, copy it there.""", "ru": """\
**Этот ноутбук** проверяет ваш код тестами самой каты: напишите каждую функцию в её ячейке, выполните
её, затем выполните ячейку проверки под ней. `katas.check("{folder}", "name")` проверяет одну функцию,
`katas.check("{folder}")` — все сразу (или `%load_ext katas`, затем `%kata {folder} name`). Ещё не
написанная функция значится как "not started". Оценка по-прежнему берётся из
`katas/{folder}/{module}.py`: когда функция готова, перенесите её туда."""}
LESSONS = {"en": "README.md", "ru": "README.ru.md"}
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
               ("code", SETUP), ("code", "\n".join(setup) + "\n")]
    sources += [("markdown", section) for section in lesson[1:]]
    sources.append(("markdown", f"## Your functions\n\nThe stubs of `katas/{kata.folder}/{kata.module}.py`, "
                                "one per cell: replace each `raise NotImplementedError` with your solution."))
    for name in kata.points:
        sources.append(("code", definitions.get(name, f"def {name}(*args, **kwargs):\n    raise NotImplementedError\n")))
        sources.append(("code", f'katas.check("{kata.folder}", "{name}")\n'))
    sources.append(("markdown", "## The whole kata"))
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
