"""Lessons and hints in English and Russian, kept in step.

1. every kata has a README.ru.md beside its README.md with the same headings (as many, at the same
   levels), the same task table (the function cell and the points cell of each row), the same
   fenced code blocks (code is not translated) and the language link line at the top of each;
2. every kata has a hints.ru.json with the same functions, in the same order, and as many hints
   for each as hints.json, none of them empty;
3. the top README.md and README.ru.md link to each other;
4. `python -m katas hint ... --lang ru` shows the Russian hints, and KATAS_LANG=ru (or a Russian
   locale) makes Russian the default;
5. the student edition carries README.ru.md and every kata's README.ru.md and hints.ru.json.
"""

from __future__ import annotations

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


@pytest.mark.parametrize("kata", by_kata())
def test_russian_readme_has_the_same_code(kata):
    english, russian = both(kata)
    assert english.blocks == russian.blocks, (
        f"{kata.folder}/README.ru.md: its ``` code blocks differ from README.md's (code and its comments are "
        f"not translated): block {first_difference(english.blocks, russian.blocks)}")


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


def test_top_readmes_link_each_other():
    english, russian = ROOT / "README.md", ROOT / "README.ru.md"
    assert russian.is_file(), "README.ru.md (the top README's student part in Russian) is missing"
    first_en = english.read_text(encoding="utf-8").splitlines()[0]
    first_ru = russian.read_text(encoding="utf-8").splitlines()[0]
    assert first_en == EN_LINK, f"README.md: the first line should be {EN_LINK!r}, it is {first_en!r}"
    assert first_ru == RU_LINK, f"README.ru.md: the first line should be {RU_LINK!r}, it is {first_ru!r}"
    text = russian.read_text(encoding="utf-8")
    for said in ("python -m katas next", "--lang ru", "KATAS_LANG=ru", "python -m katas watch"):
        assert said in text, f"README.ru.md does not show {said!r}"


# python -m katas hint --lang ------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """The CLI's seen-file goes to tmp_path, never into the real checkout; no KATAS_LANG from outside."""
    real = ROOT / hints.SEEN_FILE
    before = real.read_bytes() if real.exists() else None
    monkeypatch.setattr("katas.__main__.ROOT", tmp_path)
    monkeypatch.delenv("KATAS_LANG", raising=False)
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
    assert flat(english[0]) not in out and f"hint 1 of {len(russian)}" in out, out


def test_hint_katas_lang_ru_is_the_default(checkout, capsys, monkeypatch):
    monkeypatch.setenv("KATAS_LANG", "ru")
    russian = hints.hints_of(KATAS_DIR / "03_einsum", "ru")["matmul"]
    english = hints.hints_of(KATAS_DIR / "03_einsum", "en")["matmul"]
    out = shown(capsys, "03_einsum", "matmul")
    assert flat(russian[0]) in out, f"with KATAS_LANG=ru, `hint 03_einsum matmul` printed {out!r}"
    out = shown(capsys, "03_einsum", "matmul", "--lang", "en")  # --lang wins; the count is shared
    assert flat(english[1]) in out and "hint 2 of" in out, f"with KATAS_LANG=ru, `--lang en` printed {out!r}"


@pytest.mark.parametrize("found, expected", [(("ru_RU", "UTF-8"), "ru"), (("de_DE", "UTF-8"), "en")])
def test_hint_language_follows_the_locale(monkeypatch, found, expected):
    monkeypatch.delenv("KATAS_LANG", raising=False)
    monkeypatch.setattr(hints.locale, "getlocale", lambda *args: found)
    assert hints.default_language() == expected, f"locale {found}: hints in {hints.default_language()!r}"


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
