"""Lessons, hints and every text around them in English and Russian, kept in step.

1. every kata has a README.ru.md beside its README.md with the same headings (as many, at the same
   levels), the same task table (the function cell and the points cell of each row), the same
   fenced code blocks with their comments translated (code is not) and the language link line at
   the top of each;
2. every kata has a hints.ru.json with the same functions, in the same order, and as many hints
   for each as hints.json, none of them empty;
3. the top README.md and README.ru.md link to each other, and README.ru.md mirrors README.md's
   student part: the same sections, the same code, links to the Russian lessons;
4. the language is --lang, then KATAS_LANG, then LC_ALL, LC_MESSAGES and LANG read as text (no locale
   installed), then English; `python -m katas hint ... --lang ru` shows the Russian hints, and
   what the commands say around them is Russian too, pointing at README.ru.md;
5. the Russian texts use one term per concept (GLOSSARY), never a calque or a rendering it rules out;
6. the student edition carries README.ru.md and every kata's README.ru.md and hints.ru.json.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import katas.__main__ as cli
from katas.harness import hints
from katas.harness.kata import KATAS_DIR, ROOT, all_katas

KATAS = all_katas()
EN_LINK = "**English** | [Русский](README.ru.md)"  # the first line of every README.md
RU_LINK = "[English](README.md) | **Русский**"  # the first line of every README.ru.md


def by_kata():
    return [pytest.param(kata, id=kata.folder) for kata in KATAS]


@dataclass
class Lesson:
    """What must be the same in both languages: read from a README, fenced code kept apart."""

    first_line: str = ""
    headings: list[tuple[int, str]] = field(default_factory=list)  # (level, text)
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (info string, contents)
    rows: list[tuple[str, str]] = field(default_factory=list)  # task table: (function cell, points cell)


def cells(row: str) -> list[str]:
    """A table row's cells; a | inside `code` does not split."""
    found, current, in_code = [], "", False
    for char in row.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            found.append(current.strip())
            current = ""
        else:
            current += char
    return [*found, current.strip()]


def lesson(path: Path) -> Lesson:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    read = Lesson(first_line=lines[0] if lines else "")
    fence, info, contents = None, "", []
    for line in lines:
        if fence is not None:
            if line.strip() == fence:
                read.blocks.append((info, "\n".join(contents)))
                fence = None
            else:
                contents.append(line)
            continue
        opening = re.match(r"\s*(`{3,}|~{3,})(.*)", line)
        if opening:
            fence, info, contents = opening.group(1), opening.group(2).strip(), []
        elif heading := re.match(r"(#{1,6})\s+(.*)", line):
            read.headings.append((len(heading.group(1)), heading.group(2).strip()))
        elif line.startswith("| `"):
            row = cells(line)
            read.rows.append((row[0], row[-1]))
    assert fence is None, f"{path.relative_to(ROOT)}: a ``` block is never closed"
    return read


def both(kata) -> tuple[Lesson, Lesson]:
    folder = KATAS_DIR / kata.folder
    russian = folder / "README.ru.md"
    assert russian.is_file(), f"{kata.folder}: katas/{kata.folder}/README.ru.md is missing (README.md in Russian)"
    return lesson(folder / "README.md"), lesson(russian)


def first_difference(english: list, russian: list) -> str:
    for number, (en, ru) in enumerate(zip(english, russian), 1):
        if en != ru:
            return f"#{number} is {en!r} in README.md but {ru!r} in README.ru.md"
    longer, name = (english, "README.md") if len(english) > len(russian) else (russian, "README.ru.md")
    return f"README.md has {len(english)}, README.ru.md {len(russian)}; only {name} has {longer[min(len(english), len(russian))]!r}"


# Each kata's README.ru.md --------------------------------------------------------------------------


@pytest.mark.parametrize("kata", by_kata())
def test_russian_readme_has_the_same_headings(kata):
    english, russian = both(kata)
    levels_en, levels_ru = [level for level, _ in english.headings], [level for level, _ in russian.headings]
    assert levels_en == levels_ru, (
        f"{kata.folder}/README.ru.md: its headings' levels {levels_ru} differ from README.md's {levels_en} "
        f"(README.md: {[text for _, text in english.headings]}; README.ru.md: {[text for _, text in russian.headings]})")


@pytest.mark.parametrize("kata", by_kata())
def test_russian_readme_has_the_same_task_table(kata):
    english, russian = both(kata)
    assert english.rows, f"{kata.folder}/README.md: no task table row starts with | `"
    assert english.rows == russian.rows, (
        f"{kata.folder}/README.ru.md: the task table's (function, points) cells differ from README.md's: "
        f"{first_difference(english.rows, russian.rows)}")


def code_and_comments(block: tuple[str, str]) -> tuple[tuple[str, str], list[str]]:
    """A code block without its comments (what must be the same in both languages), and its comments."""
    info, contents = block
    code, comments = [], []
    for line in contents.splitlines():
        head, hash_, comment = line.partition("#")
        code.append(head.rstrip())
        if hash_:
            comments.append(comment.strip())
    return (info, "\n".join(code)), comments


def prose(comment: str) -> bool:
    """A comment that says something in English words (not only code, shapes or symbols)."""
    return len(re.findall(r"\b[a-z]{3,}\b", re.sub(r"`[^`]*`|\w+[.(_]\w*", "", comment))) >= 2


def assert_same_code(english: list, russian: list, where: str) -> None:
    __tracebackhide__ = True
    code_en = [code_and_comments(block)[0] for block in english]
    code_ru = [code_and_comments(block)[0] for block in russian]
    assert code_en == code_ru, (
        f"{where}: its ``` code blocks differ from README.md's (code is not translated, only its comments): "
        f"block {first_difference(code_en, code_ru)}")
    for block_en, block_ru in zip(english, russian):
        for said_en, said_ru in zip(code_and_comments(block_en)[1], code_and_comments(block_ru)[1]):
            assert not prose(said_en) or re.search("[а-яё]", said_ru, re.I), (
                f"{where}: the comment {said_ru!r} is left in English: translate it")


@pytest.mark.parametrize("kata", by_kata())
def test_russian_readme_has_the_same_code_with_its_comments_translated(kata):
    english, russian = both(kata)
    assert_same_code(english.blocks, russian.blocks, f"{kata.folder}/README.ru.md")


@pytest.mark.parametrize("kata", by_kata())
def test_both_readmes_link_to_the_other_language(kata):
    english, russian = both(kata)
    assert english.first_line == EN_LINK, (
        f"{kata.folder}/README.md: the first line should be {EN_LINK!r}, it is {english.first_line!r}")
    assert russian.first_line == RU_LINK, (
        f"{kata.folder}/README.ru.md: the first line should be {RU_LINK!r}, it is {russian.first_line!r}")


# Each kata's hints.ru.json -------------------------------------------------------------------------


@pytest.mark.parametrize("kata", by_kata())
def test_russian_json_mirrors_the_english_json(kata):
    """hints.ru.json: the same functions in the same order as hints.json, as many hints each."""
    folder = KATAS_DIR / kata.folder
    path = hints.hints_file(folder, "ru")
    assert path.is_file(), f"{kata.folder}: katas/{kata.folder}/{path.name} is missing (hints.json in Russian)"
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data.get("schema") == hints.SCHEMA, (
        f"{kata.folder}/{path.name}: schema {data.get('schema')!r}, expected {hints.SCHEMA!r}")
    english, russian = hints.hints_of(folder, "en"), data["hints"]
    assert list(russian) == list(english), (
        f"{kata.folder}/{path.name} lists the functions {list(russian)}; hints.json, in that order, {list(english)}")
    for function, given in russian.items():
        assert isinstance(given, list) and len(given) == len(english[function]), (
            f"{kata.folder}/{path.name}: {function} has {len(given) if isinstance(given, list) else given!r} "
            f"hints, hints.json {len(english[function])}")
        empty = [number for number, text in enumerate(given, 1) if not isinstance(text, str) or not text.strip()]
        assert not empty, f"{kata.folder}/{path.name}: {function}'s hint(s) {empty} are empty"


# The top README -------------------------------------------------------------------------------------


def student_part(path: Path) -> Lesson:
    """A top README up to its instructors' part (README.md) or its closing note (README.ru.md)."""
    text = path.read_text(encoding="utf-8")
    text = text.split("\n## For instructors")[0].split("\n(Раздел для преподавателей")[0]
    scratch = path.parent / f".{path.name}.student"  # lesson() reads a file
    try:
        scratch.write_text(text, encoding="utf-8")
        return lesson(scratch)
    finally:
        scratch.unlink()


def test_top_readmes_link_each_other():
    english, russian = ROOT / "README.md", ROOT / "README.ru.md"
    assert russian.is_file(), "README.ru.md (the top README's student part in Russian) is missing"
    first_en = english.read_text(encoding="utf-8").splitlines()[0]
    first_ru = russian.read_text(encoding="utf-8").splitlines()[0]
    assert first_en == EN_LINK, f"README.md: the first line should be {EN_LINK!r}, it is {first_en!r}"
    assert first_ru == RU_LINK, f"README.ru.md: the first line should be {RU_LINK!r}, it is {first_ru!r}"
    text = russian.read_text(encoding="utf-8")
    for said in ("python -m katas next", "--lang ru", "KATAS_LANG", "LANG=ru_RU.UTF-8", "python -m katas watch",
                 "katas.check", "katas.save", "python -m katas notebook", "python -m classroom check"):
        assert said in text, f"README.ru.md does not show {said!r}"


def test_russian_top_readme_mirrors_the_student_part():
    english, russian = student_part(ROOT / "README.md"), student_part(ROOT / "README.ru.md")
    levels_en, levels_ru = [level for level, _ in english.headings], [level for level, _ in russian.headings]
    assert levels_en == levels_ru, (
        f"README.ru.md's sections {[text for _, text in russian.headings]} (levels {levels_ru}) do not mirror "
        f"README.md's student part {[text for _, text in english.headings]} (levels {levels_en})")
    assert_same_code(english.blocks, russian.blocks, "README.ru.md")


@pytest.mark.parametrize("name", ["README.ru.md"] + [f"katas/{kata.folder}/README.ru.md" for kata in KATAS])
def test_russian_pages_point_at_russian_lessons(name):
    """A Russian reader who follows a link or a path lands on a Russian page (the language link aside)."""
    text = (ROOT / name).read_text(encoding="utf-8")
    body = "\n".join(text.splitlines()[1:])
    english = re.findall(r"(?<![\w.])(?:katas/\d\d_\w+/)?README\.md\b", body)
    english = [found for found in english if found != "README.md" or "README.md` репозитория преподавателя" not in body]
    assert not english, f"{name} points a Russian reader at {english}: name README.ru.md"


# The language, and what the commands say in it ---------------------------------------------------------


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """The CLI's seen-file goes to tmp_path, never into the real checkout; no language from outside."""
    real = ROOT / hints.SEEN_FILE
    before = real.read_bytes() if real.exists() else None
    monkeypatch.setattr("katas.__main__.ROOT", tmp_path)
    for variable in hints.LANGUAGE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    yield tmp_path
    assert (real.read_bytes() if real.exists() else None) == before, "the hint command wrote the real checkout"


def shown(capsys, *args: str) -> str:
    """What the hint command printed, with its line wrapping undone."""
    assert cli.main(["hint", *args]) == 0
    return " ".join(capsys.readouterr().out.split())


def flat(text: str) -> str:
    return " ".join(text.split())


def test_hint_lang_ru_prints_the_russian_hint(checkout, capsys):
    russian = hints.hints_of(KATAS_DIR / "03_einsum", "ru")["matmul"]
    english = hints.hints_of(KATAS_DIR / "03_einsum", "en")["matmul"]
    out = shown(capsys, "03_einsum", "matmul", "--lang", "ru")
    assert flat(russian[0]) in out, f"`hint 03_einsum matmul --lang ru` printed {out!r}, not hints.ru.json's first hint"
    assert flat(english[0]) not in out and f"подсказка 1 из {len(russian)}" in out, out
    assert not re.search(r"\b(hint|run|again|shows)\b", out), f"English around the Russian hint: {out!r}"


def test_hint_katas_lang_ru_is_the_default(checkout, capsys, monkeypatch):
    monkeypatch.setenv("KATAS_LANG", "ru")
    russian = hints.hints_of(KATAS_DIR / "03_einsum", "ru")["matmul"]
    english = hints.hints_of(KATAS_DIR / "03_einsum", "en")["matmul"]
    out = shown(capsys, "03_einsum", "matmul")
    assert flat(russian[0]) in out, f"with KATAS_LANG=ru, `hint 03_einsum matmul` printed {out!r}"
    out = shown(capsys, "03_einsum", "matmul", "--lang", "en")  # --lang wins; the same hint again, uncounted
    assert flat(english[0]) in out and "hint 1 of" in out, f"with KATAS_LANG=ru, `--lang en` printed {out!r}"
    out = shown(capsys, "03_einsum", "matmul")
    assert flat(russian[1]) in out and "подсказка 2 из" in out, out


@pytest.mark.parametrize("environment, expected", [
    ({"LANG": "ru_RU.UTF-8"}, "ru"),  # this machine need not have a ru_RU locale: the variable is read as text
    ({"LANG": "ru_RU"}, "ru"),
    ({"LC_ALL": "ru_RU.UTF-8", "LANG": "en_US.UTF-8"}, "ru"),  # LC_ALL over LANG, as POSIX orders them
    ({"LC_ALL": "C.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"),
    ({"LC_MESSAGES": "ru_RU.UTF-8", "LANG": "de_DE.UTF-8"}, "ru"),
    ({"LANG": "de_DE.UTF-8"}, "en"),  # a language the katas do not have
    ({"KATAS_LANG": "en", "LANG": "ru_RU.UTF-8"}, "en"),  # KATAS_LANG over the locale
    ({"KATAS_LANG": "ru", "LC_ALL": "en_US.UTF-8"}, "ru"),
    ({}, "en"),
])
def test_language_comes_from_the_environment_as_text(environment, expected):
    assert hints.default_language(environment) == expected, f"{environment}: {hints.default_language(environment)!r}"


def test_lang_in_the_environment_makes_the_cli_russian(checkout, capsys, monkeypatch):
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    out = shown(capsys, "03_einsum", "matmul")
    assert "подсказка 1 из" in out, out


def test_no_more_hints_points_at_the_lesson_in_its_language(checkout, capsys):
    for lang, lesson_name in (("en", "README.md"), ("ru", "README.ru.md")):
        shown(capsys, "03_einsum", "trace", "--all", "--lang", lang)
        out = shown(capsys, "03_einsum", "trace", "--lang", lang)
        assert f"katas/03_einsum/{lesson_name}" in out, out
    assert out == ("einsum_ops.trace: подсказок больше нет (показаны все 3). Остальное скажут урок "
                   "(katas/03_einsum/README.ru.md) и сообщения об ошибках."), out


@pytest.mark.parametrize("kata", by_kata())
def test_kata_modules_point_at_both_lessons(kata):
    docstring = ast.get_docstring(ast.parse((KATAS_DIR / kata.folder / f"{kata.module}.py").read_text(encoding="utf-8")))
    assert "README.md" in docstring and "README.ru.md" in docstring, (
        f"{kata.folder}/{kata.module}.py's docstring should point at both lessons, README.md and README.ru.md")


# One term per concept ----------------------------------------------------------------------------------

# Russian renderings a native-speaking ML engineer would not write, each with the term these texts use.
GLOSSARY = {
    r"свёрт\w* тензор|свёртк\w* по индекс|сворачива\w* операнд": "«суммы произведений» (einsum: свёртка — это convolution)",
    r"бродкаст\w*|вещани\w*": "«транслирование (broadcasting)»",
    r"лист\w* граф\w*": "«листовой тензор»",
    r"самозван\w*": "«не путайте с ...»",
    r"[Уу]важайте": "a plain rule",
    r"первого рода|второго рода": "«первый случай»",
    r"по модулю|модуль производной|наименьш\w+ модул": "«абсолютная величина» (модуль — это nn.Module)",
}
RUSSIAN_TEXTS = ["README.ru.md"] + [f"katas/{kata.folder}/{name}" for kata in KATAS
                                    for name in ("README.ru.md", "hints.ru.json")]


@pytest.mark.parametrize("name", RUSSIAN_TEXTS)
def test_russian_texts_keep_to_the_glossary(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    found = [(match.group(0), use) for pattern, use in GLOSSARY.items() for match in re.finditer(pattern, text)]
    assert not found, f"{name}: {found}"
    prose_lines = [re.sub(r"`[^`]*`", "", line) for line in text.splitlines()]
    bare = [line for line in prose_lines if re.search(r"\bbroadcast(ing)?\b", line, re.I) and "транслир" not in line.lower()]
    assert not bare, f"{name}: 'broadcasting' without «транслирование»: {bare}"


# The student edition --------------------------------------------------------------------------------


def test_edition_carries_both_languages(tmp_path):
    from classroom import export

    out = tmp_path / "edition"
    export.build(out)
    assert (out / "README.ru.md").is_file(), "the student edition has no README.ru.md"
    assert (out / "README.md").read_text(encoding="utf-8").splitlines()[0] == EN_LINK, (
        "the student edition's README.md does not start with the link to README.ru.md")
    for kata in KATAS:
        for name in ("README.ru.md", "hints.ru.json"):
            source = KATAS_DIR / kata.folder / name
            if source.is_file():  # that every kata has them is checked above, kata by kata
                copy = out / "katas" / kata.folder / name
                assert copy.is_file() and copy.read_bytes() == source.read_bytes(), (
                    f"the student edition lacks katas/{kata.folder}/{name} (or holds another version of it)")
