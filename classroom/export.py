"""The student edition: what students get, and a check that it holds nothing it must not.

Built from an allowlist (the katas' folders without hidden tests, the katas package and its harness, the root config, a
student README, the autograding workflow and the grading runtime), never by copying the repo and
deleting: a new instructor-only folder stays out until someone adds it here.
"""

from __future__ import annotations

import ast
import shlex
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from katas.harness.report import RunReport
from katas.harness.status import Status

from . import edition, workflow
from .edition import HIDDEN, IGNORED

ROOT = Path(__file__).resolve().parent.parent


def katas_of(repo: Path):
    from katas.harness.kata import all_katas

    return all_katas(repo / "katas")


def build(out: Path, repo: Path = ROOT) -> list:
    """Write the student edition into ``out`` (missing or empty); return its katas."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    katas = katas_of(repo)
    for package in edition.PACKAGES:
        (out / package).mkdir(parents=True)
        for source in sorted((repo / package).glob("*.py")):
            shutil.copy2(source, out / package / source.name)
    for kata in katas:
        shutil.copytree(repo / "katas" / kata.folder, out / "katas" / kata.folder, ignore=IGNORED)
    for name in edition.ROOT_FILES:
        if (repo / name).is_file():
            shutil.copy2(repo / name, out / name)
    (out / "pyproject.toml").write_text(student_pyproject((repo / "pyproject.toml").read_text()))
    (out / "README.md").write_text(student_readme(katas), encoding="utf-8")
    (out / "README.ru.md").write_text(student_readme(katas, "ru"), encoding="utf-8")
    (out / workflow.PATH).parent.mkdir(parents=True)
    (out / workflow.PATH).write_text(workflow.render(katas))
    (out / "classroom").mkdir()
    for name in edition.RUNTIME:
        shutil.copy2(Path(__file__).parent / name, out / "classroom" / name)
    return katas


def student_pyproject(text: str) -> str:
    """In the student edition plain `pytest` runs the katas (there is no instructor gate)."""
    text = text.replace(
        "# `pytest` alone runs the instructor gate; `pytest katas/03_einsum` checks one kata.",
        "# `pytest` alone runs every kata; `pytest katas/03_einsum` checks one.",
    )
    return re.sub(r'testpaths = \["tests"\]', 'testpaths = ["katas"]', text)


def student_readme(katas, lang: str = "en") -> str:
    """The student edition's README.md (``lang`` "en") or README.ru.md ("ru"): the same sections, the
    same commands and the same first kata in both."""
    rows = "\n".join(
        f"| [`{k.folder}`](katas/{k.folder}/{'README.ru.md' if lang == 'ru' else 'README.md'}) | {k.title} | "
        f"`katas/{k.folder}/{k.module}.py` | {sum(k.points.values())} |"
        for k in katas
    )
    total = sum(sum(k.points.values()) for k in katas)
    start = next((k for k in katas if k.folder == edition.FIRST_KATA), katas[0] if katas else None)
    first = start.folder if start else edition.FIRST_KATA
    function = start.functions[0] if start else "matmul"
    commands = _aligned([
        ("python -m katas", "the progress table of every kata"),
        ("python -m katas next", "the next function to work on"),
        (f"python -m katas hint {first} {function}", "a hint for it (again for the next one, --all for all)"),
        (f"python -m katas hint {first} {function} --lang ru", "the same hint in Russian (or: export KATAS_LANG=ru)"),
        (f"python -m katas watch {first}", "re-run that kata's tests each time you save"),
        (f"pytest katas/{first}", "one kata, with a progress table per function"),
        (f"pytest katas/{first} -k {function}", "one function's tests"),
        ("pytest katas", "everything"),
        (f"python -m classroom check {first}", "exactly what the autograder runs for this kata"),
        ("python -m classroom grade .", "your points per function, as the grader counts them"),
    ])
    setup = "\n".join(["python -m venv .venv && . .venv/bin/activate", *map(shlex.join, edition.install_commands())])
    text = STUDENT_README_RU if lang == "ru" else STUDENT_README
    return text.format(rows=rows, total=total, first=first, setup=setup, commands=commands,
                       torch=edition.TORCH_VERSION)


STUDENT_README = """**English** | [Русский](README.ru.md)

# torch-katas

Advanced PyTorch, learned by filling in stubs until the tests pass. Each kata is a folder under
`katas/` with a README (the lesson and the tasks), hints you ask for one at a time, a module of
stubs you fill in, and the tests that check it. The katas are independent; `{first}` is a good
first one. Every function is worth the points in its kata's README.

| kata | topic | you edit | points |
| --- | --- | --- | --- |
{rows}

Total: {total} points.

## Setup

```
{setup}
```

(The second line installs the CPU build of torch {torch}, the release the course was checked with,
and the rest; with an NVIDIA GPU, leave `--extra-index-url ...` out to get PyPI's CUDA build.)

## Check yourself

```
{commands}
```

Every lesson and hint exists in Russian too: `README.ru.md` beside each `README.md`, and `--lang ru`
(or `KATAS_LANG=ru`) for the hints.

In Jupyter or Colab: `python -m katas notebook {first}` writes a starter notebook (the lesson, each stub
in a cell); define the functions in cells and run `import katas; katas.check("{first}")`, the same tests
on the notebook's definitions. Graded is only the `.py` file: copy each finished function there.

## How you are graded

- Edit only the kata modules (`katas/NN_topic/<module>.py`). The grader takes those files from your
  repository and nothing else: edited tests, `conftest.py`, harness or workflow files are ignored
  and graded with the handed-out copies (and listed in the grade report).
- A function earns its points when every one of its tests passes. A kata's step in the GitHub
  autograding workflow is all or nothing: it passes only when every function of the kata is done.
- Grading runs each kata's tests as `pytest katas/NN` does, with the same 10 s per test: a test past
  it fails, and its function's other tests fail at once. Printing is never a limit (the report
  keeps the first and last 32 KiB of it).
- A function is done when its tests pass and the judge confirms it: the judge calls your function on
  inputs of its own, in a process where no test runs, and checks the values (and gradients).
  `pytest katas/NN` runs the same judged cases (`test_judged`), on fresh inputs every time.
- Each kata runs in its own sandboxed process with memory, disk and time backstops. Code that
  exhausts one, crashes, exits the process, starts processes, changes torch or the tests, or reads
  files it has no business reading scores zero for that kata, with the reason in the report.
"""

STUDENT_README_RU = """[English](README.md) | **Русский**

# torch-katas

Продвинутый PyTorch на практике: вы заполняете функции-заготовки, пока тесты не пройдут. Каждая
ката — папка в `katas/` с README (урок и задания), подсказками, которые выдаются по одной, модулем
заготовок, который вы заполняете, и тестами, которые его проверяют. Каты не зависят друг от друга;
начать лучше всего с `{first}`. Сколько баллов стоит каждая функция, написано в README её каты.

| ката | тема | что вы редактируете | баллы |
| --- | --- | --- | --- |
{rows}

Всего баллов: {total}.

## Установка

```
{setup}
```

(Вторая строка ставит CPU-сборку torch {torch} — ту версию, на которой курс проверен, — и всё
остальное; на машине с GPU NVIDIA уберите `--extra-index-url ...`, чтобы получить сборку с CUDA из PyPI.)

## Как проверить себя

```
{commands}
```

Уроки и подсказки есть и по-русски: рядом с каждым `README.md` лежит `README.ru.md`, а подсказки
по-русски выдаёт `--lang ru` (или `KATAS_LANG=ru`). Сообщения тестов написаны по-английски: в них
цитируется код.

В Jupyter или Colab: `python -m katas notebook {first} --lang ru` пишет стартовый ноутбук (урок и
каждая заготовка в своей ячейке); определите функции в ячейках и запустите
`import katas; katas.check("{first}")` — те же тесты на определениях из ноутбука. Оценивается
только файл `.py`: перенесите туда каждую готовую функцию.

## Как вас оценивают

- Редактируйте только модули кат (`katas/NN_topic/<module>.py`). Оценщик берёт из вашего
  репозитория только эти файлы: изменённые тесты, `conftest.py`, файлы harness или workflow
  не учитываются, вместо них используются выданные копии (и они перечислены в отчёте об оценке).
- Функция получает свои баллы, когда проходят все её тесты. Шаг каты в автооценке GitHub
  засчитывается целиком или никак: он проходит, только когда готовы все функции каты.
- Оценщик запускает тесты каждой каты так же, как `pytest katas/NN`, с теми же 10 с на тест: тест,
  не уложившийся в лимит, не пройден, а остальные тесты той же функции сразу считаются не
  пройденными. Печатать можно сколько угодно (в отчёте остаются первые и последние 32 КиБ вывода).
- Функция готова, когда проходят её тесты и это подтверждает судья: он вызывает вашу функцию на
  своих входных данных, в процессе, где не работает ни один тест, и проверяет значения (и
  градиенты). `pytest katas/NN` запускает те же случаи судьи (`test_judged`), каждый раз на новых
  данных.
- Каждая ката запускается в отдельном изолированном процессе с ограничениями по памяти, диску и
  времени. Код, который исчерпывает одно из них, падает, завершает процесс, запускает процессы,
  меняет torch или тесты или читает файлы, которые ему читать незачем, получает за эту кату ноль,
  и причина указана в отчёте.
"""


def _aligned(rows: list[tuple[str, str]]) -> str:
    width = max(len(command) for command, _ in rows)
    return "\n".join(f"{command:<{width}}  # {comment}" for command, comment in rows)


# --------------------------------------------------------------------------------------------------
# Verification


def function_bodies(path: Path) -> dict[str, str]:
    """ast dump of each non-trivial function body (docstring dropped) -> 'file:function'."""
    try:
        tree = ast.parse(path.read_text(), str(path))
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return {}
    bodies = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
                    and isinstance(body[0].value.value, str):
                body = body[1:]
            if not body or all(isinstance(s, (ast.Pass, ast.Raise)) and _trivial(s) for s in body):
                continue
            bodies[ast.dump(ast.Module(body=body, type_ignores=[]))] = f"{path.name}:{node.name}"
    return bodies


def _trivial(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    raised = statement.exc
    name = raised.func if isinstance(raised, ast.Call) else raised
    return isinstance(name, ast.Name) and name.id == "NotImplementedError"


def leaks(out: Path, repo: Path = ROOT) -> list[str]:
    """Reference code (solutions, mutants, hidden tests) found in ``out``: function bodies or files."""
    reference = repo / "reference"
    secret_files = [p for p in reference.rglob("*") if p.is_file() and "__pycache__" not in p.parts] \
        if reference.is_dir() else []
    secret_bytes = {p.read_bytes(): p for p in secret_files if p.stat().st_size > 64}
    secret = {}
    for p in secret_files:
        if p.suffix == ".py":
            secret.update(function_bodies(p))
    handed_out = {}
    for p in (repo / "katas").rglob("*.py"):
        if "__pycache__" not in p.parts and not HIDDEN.search(p.name):
            handed_out.update(function_bodies(p))
    found = []
    for p in sorted(out.rglob("*")):
        if not p.is_file():
            continue
        relative = p.relative_to(out).as_posix()
        if "reference" in p.relative_to(out).parts or "mutants" in p.relative_to(out).parts or HIDDEN.search(p.name):
            found.append(f"{relative}: an instructor-only path")
            continue
        data = p.read_bytes()
        if data in secret_bytes:
            found.append(f"{relative}: a copy of {secret_bytes[data].relative_to(repo)}")
        if p.suffix == ".py":
            for body, where in function_bodies(p).items():
                if body in secret and body not in handed_out:
                    found.append(f"{relative}: {where} has the body of reference {secret[body]}")
    return found


def verify(out: Path, repo: Path = ROOT, katas=None) -> list[str]:
    """Problems with the edition in ``out``; [] when it is fit to hand out."""
    out = Path(out).resolve()
    katas = katas if katas is not None else katas_of(repo)
    problems = leaks(out, repo)
    if (out / "tests").exists() or (out / "tox.ini").exists():
        problems.append("the instructor gate (tests/, tox.ini) is in the edition")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("KATA_IMPL", None)
    env.pop("PYTEST_ADDOPTS", None)
    base = [sys.executable, "-m", "pytest", "katas", "-p", "no:cacheprovider", "--color=no", "-q"]
    with tempfile.TemporaryDirectory(prefix="katas-verify-") as scratch:
        report_path = Path(scratch) / "stubs.json"
        runs = {"stubs": base + ["--kata-report", str(report_path)], "reference": base + ["--impl", "reference"]}
        with ThreadPoolExecutor(2) as pool:
            done = {name: pool.submit(subprocess.run, command, cwd=out, env=env, capture_output=True, text=True,
                                      timeout=600) for name, command in runs.items()}
            stubs, reference = done["stubs"].result(), done["reference"].result()
        output = stubs.stdout + stubs.stderr
        if stubs.returncode != 1:
            problems.append(f"`pytest katas` in the edition exited {stubs.returncode}, expected 1 (tests failing):\n"
                            + output[-2000:])
        report = RunReport.read(report_path) if report_path.is_file() else RunReport("none")
    ran = {k.folder: k for k in report.katas}
    for kata in katas:
        if kata.folder not in ran:
            problems.append(f"`pytest katas` in the edition ran no test of {kata.folder}")
            continue
        for function in ran[kata.folder].functions:
            allowed = {Status.NOT_STARTED} | ({Status.FAILING} if function.name in kata.ships_with_bug else set())
            if function.status not in allowed:
                problems.append(f"{kata.folder}.{function.name} reads {function.status.value!r} on the stubs, "
                                f"expected {Status.NOT_STARTED.value!r}")
    said = reference.stdout + reference.stderr
    if reference.returncode != 4 or "has no reference solutions" not in said:
        problems.append(f"`pytest katas --impl reference` should stop with 'this is the student edition, which "
                        f"has no reference solutions'; it exited {reference.returncode}:\n{said[-1000:]}")
    return problems
