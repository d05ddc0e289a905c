"""Hints on request, in the student's language. Each kata's ``hints.json`` (``hints.ru.json`` in
Russian) holds three hints per function: the idea, the PyTorch API to read about, and a property to
check a result against, never the code. A student sees the next one only when asking, and a small
state file in the checkout remembers how many each function has shown, and in which languages.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .kata import Kata

SCHEMA = "torch-katas/hints/v1"
LANGUAGES = ("en", "ru")  # the lessons' and hints' languages; English is the default
# Where the language comes from after --lang, in this order. The locale variables are read as text, as
# POSIX orders them (LC_ALL over LC_MESSAGES over LANG): no locale needs to be installed for them to count.
LANGUAGE_VARIABLES = ("KATAS_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
SEEN_FILE = ".katas-hints-seen.json"  # in the student's checkout; .gitignore lists it
LESSONS = {"en": "README.md", "ru": "README.ru.md"}  # each kata folder's lesson, per language


def hints_file(kata_dir: Path, lang: str = "en") -> Path:
    """hints.json (English), hints.ru.json (Russian): one file per language, the same functions."""
    return kata_dir / ("hints.json" if lang == "en" else f"hints.{lang}.json")


def default_language(environ: Mapping[str, str] = os.environ) -> str:
    """The language of the first of KATAS_LANG, LC_ALL, LC_MESSAGES and LANG that is set (``ru``,
    ``ru_RU.UTF-8`` and ``ru_RU@latin`` all read as ``ru``), if the katas have it; else English."""
    for variable in LANGUAGE_VARIABLES:
        value = environ.get(variable, "")
        if value:
            code = value.split("_")[0].split(".")[0].split("@")[0].lower()
            return code if code in LANGUAGES else "en"
    return "en"


def lesson(folder: str, lang: str = "en") -> str:
    """The lesson of a kata folder as a path from the checkout's root: katas/03_einsum/README.ru.md."""
    return f"katas/{folder}/{LESSONS[lang]}"


def hints_of(kata_dir: Path, lang: str = "en") -> dict[str, list[str]]:
    """function -> its hints, in the order they are shown."""
    path = hints_file(kata_dir, lang)
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: expected schema {SCHEMA!r}, got {data.get('schema')!r}")
    return data["hints"]


@dataclass(frozen=True)
class Progress:
    """What a student has seen of one function's hints: how many, and the languages the last one was
    shown in (read again in another language, it is still that hint)."""

    seen: int = 0
    languages: tuple[str, ...] = ()


@dataclass
class Seen:
    """How many hints of each function the student has seen, kept in ``path``."""

    path: Path

    def _load(self) -> dict[str, Progress]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        found = {}
        for key, value in data.items():
            if isinstance(value, int):  # the first format, a count alone: never shown again
                found[key] = Progress(value, LANGUAGES)
            elif isinstance(value, dict) and isinstance(value.get("seen"), int):
                found[key] = Progress(value["seen"], tuple(str(lang) for lang in value.get("languages", [])))
        return found

    def progress(self, kata: Kata, function: str) -> Progress:
        return self._load().get(f"{kata.folder}/{function}", Progress())

    def count(self, kata: Kata, function: str) -> int:
        return self.progress(kata, function).seen

    def set(self, kata: Kata, function: str, progress: Progress) -> None:
        data = self._load()
        data[f"{kata.folder}/{function}"] = progress
        self.path.write_text(json.dumps({key: {"seen": p.seen, "languages": list(p.languages)}
                                         for key, p in data.items()}, indent=1, sort_keys=True) + "\n")


@dataclass(frozen=True)
class Shown:
    """The hints one request shows: (number, text) each, and whether it is a hint already seen, shown
    again because it was asked for in another language (which uses up no hint)."""

    hints: list[tuple[int, str]]
    again: bool = False


def next_hints(kata: Kata, kata_dir: Path, function: str, seen: Seen, everything: bool = False,
               lang: str = "en") -> Shown:
    """The hints to show now, marked seen: every one with ``everything``; else the last one seen,
    again, when it has not been shown in ``lang`` yet; else the next unseen one. The count is shared
    between languages: hint 2 is hint 2 in either."""
    hints = list(enumerate(hints_of(kata_dir, lang).get(function, []), 1))
    before = seen.progress(kata, function)
    if everything:
        if hints:
            seen.set(kata, function, Progress(max(before.seen, len(hints)), (lang,)))
        return Shown(hints)
    if 0 < before.seen <= len(hints) and lang not in before.languages:
        seen.set(kata, function, Progress(before.seen, (*before.languages, lang)))
        return Shown(hints[before.seen - 1:before.seen], again=True)
    chosen = hints[before.seen:before.seen + 1]
    if chosen:
        seen.set(kata, function, Progress(chosen[0][0], (lang,)))
    return Shown(chosen)
