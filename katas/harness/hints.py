"""Hints on request. Each kata's ``hints.json`` holds, per function, hints that go from the idea
to the API to a shape-level sketch (never the finished code); a student sees the next one only when
asking, and a small state file in the checkout remembers how many each function has shown.
"""

from __future__ import annotations

import json
import locale
import os
from dataclasses import dataclass
from pathlib import Path

from .kata import Kata

SCHEMA = "torch-katas/hints/v1"
LANGUAGES = ("en", "ru")  # the lessons' and hints' languages; English is the default
SEEN_FILE = ".katas-hints-seen.json"  # in the student's checkout; .gitignore lists it


def hints_file(kata_dir: Path, lang: str = "en") -> Path:
    """hints.json (English), hints.ru.json (Russian): one file per language, the same functions."""
    return kata_dir / ("hints.json" if lang == "en" else f"hints.{lang}.json")


def default_language() -> str:
    """KATAS_LANG if set, else the locale's language if the katas have it, else English."""
    wanted = os.environ.get("KATAS_LANG") or (locale.getlocale()[0] or "") or os.environ.get("LANG", "")
    code = wanted.split("_")[0].split(".")[0].lower()
    return code if code in LANGUAGES else "en"


def hints_of(kata_dir: Path, lang: str = "en") -> dict[str, list[str]]:
    """function -> its hints, in the order they are shown."""
    path = hints_file(kata_dir, lang)
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("schema") != SCHEMA:
        raise ValueError(f"{path}: expected schema {SCHEMA!r}, got {data.get('schema')!r}")
    return data["hints"]


@dataclass
class Seen:
    """How many hints of each function the student has seen, kept in ``path``."""

    path: Path

    def _load(self) -> dict[str, int]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if isinstance(v, int)} if isinstance(data, dict) else {}

    def count(self, kata: Kata, function: str) -> int:
        return self._load().get(f"{kata.folder}/{function}", 0)

    def set(self, kata: Kata, function: str, count: int) -> None:
        data = self._load()
        data[f"{kata.folder}/{function}"] = count
        self.path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")


def next_hints(kata: Kata, kata_dir: Path, function: str, seen: Seen, everything: bool = False,
               lang: str = "en") -> list[tuple[int, str]]:
    """(number, text) of the hints to show now: the next unseen one, or all of them; marks them seen.
    The count is shared between languages: hint 2 is hint 2 in either."""
    hints = hints_of(kata_dir, lang).get(function, [])
    shown = seen.count(kata, function)
    chosen = list(enumerate(hints, 1)) if everything else list(enumerate(hints, 1))[shown:shown + 1]
    if chosen:
        seen.set(kata, function, max(shown, chosen[-1][0]))
    return chosen
