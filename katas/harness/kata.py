"""Kata metadata. Each kata folder's ``kata.json`` is the one place for its title, module, points
per function and call rules; the folder name (``03_einsum``) gives its order. The progress table,
the instructor gate and the graders all read it from here."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

KATAS_DIR = Path(__file__).resolve().parent.parent
ROOT = KATAS_DIR.parent
KATA_FOLDER = re.compile(r"\d\d_[a-z0-9_]+")
FIRST_KATA = "03_einsum"  # the model kata, where a student who has started nothing begins


@dataclass(frozen=True)
class CallRule:
    """Library calls that a kata's functions must not make (forbidden) or must make (required)."""

    calls: tuple[str, ...]
    hint: str
    functions: tuple[str, ...] | None = None  # None: every function of the kata

    def applies_to(self, function: str) -> bool:
        return self.functions is None or function in self.functions


@dataclass(frozen=True)
class Kata:
    folder: str  # "03_einsum"
    title: str
    module: str  # "einsum_ops": the file students edit, without .py
    points: dict[str, int]  # function -> points, in lesson order
    forbidden: tuple[CallRule, ...] = ()
    required: tuple[CallRule, ...] = ()
    ships_with_bug: tuple[str, ...] = ()  # functions handed out as buggy code, not as stubs
    handed_out: dict[str, str] = field(default_factory=dict)  # each of those -> the body it ships with

    @property
    def number(self) -> int:
        return int(self.folder[:2])

    @property
    def functions(self) -> tuple[str, ...]:
        return tuple(self.points)

    def rules_for(self, function: str) -> tuple[list[CallRule], list[CallRule]]:
        return (
            [rule for rule in self.forbidden if rule.applies_to(function)],
            [rule for rule in self.required if rule.applies_to(function)],
        )


SCHEMA = "torch-katas/kata/v1"
KEYS = {"schema": True, "title": True, "module": True, "points": True, "forbidden": False, "required": False,
        "ships_with_bug": False}  # key -> required
RULE_KEYS = {"calls": True, "hint": True, "functions": False}


def _checked(data: dict, keys: dict[str, bool], where: str) -> dict:
    """``data`` with exactly the known keys, the required ones among them; else ValueError naming them."""
    unknown = sorted(set(data) - set(keys))
    missing = sorted(key for key, required in keys.items() if required and key not in data)
    if unknown or missing:
        said = "; ".join(filter(None, [f"unknown keys {unknown}" if unknown else "",
                                        f"missing keys {missing}" if missing else ""]))
        raise ValueError(f"{where}: {said} (known: {', '.join(keys)})")
    return data


def _rules(entries: list[dict]) -> tuple[CallRule, ...]:
    return tuple(
        CallRule(
            calls=tuple(entry["calls"]),
            hint=entry["hint"],
            functions=tuple(entry["functions"]) if "functions" in entry else None,
        )
        for entry in entries
    )


@functools.cache
def load_kata(folder: Path) -> Kata:
    where = str(folder / "kata.json")
    data = _checked(json.loads((folder / "kata.json").read_text()), KEYS, where)
    if data["schema"] != SCHEMA:
        raise ValueError(f"{where}: schema {data['schema']!r}, this harness reads {SCHEMA!r}")
    for entry in data.get("forbidden", []) + data.get("required", []):
        _checked(entry, RULE_KEYS, f"{where}, a rule")
    shipped = data.get("ships_with_bug", {})  # function -> the body it is handed out with
    kata = Kata(
        folder=folder.name,
        title=data["title"],
        module=data["module"],
        points=data["points"],
        forbidden=_rules(data.get("forbidden", [])),
        required=_rules(data.get("required", [])),
        ships_with_bug=tuple(shipped),
        handed_out=dict(shipped),
    )
    for rule in kata.forbidden + kata.required:
        unknown = set(rule.functions or ()) - set(kata.points)
        if unknown:
            raise ValueError(f"{folder / 'kata.json'}: rule names unknown functions {sorted(unknown)}")
    return kata


def judge_file(kata: Kata, katas_dir: Path = KATAS_DIR) -> Path:
    """The kata's judged cases (``katas.harness.judge``), beside its tests."""
    return katas_dir / kata.folder / f"judge_{kata.module}.py"


def all_katas(katas_dir: Path = KATAS_DIR) -> list[Kata]:
    return [
        load_kata(path)
        for path in sorted(katas_dir.iterdir())
        if KATA_FOLDER.fullmatch(path.name) and (path / "kata.json").is_file()
    ]


@functools.cache
def kata_of(path: Path) -> Kata | None:
    """The kata a test file belongs to, or None for files outside a kata folder."""
    folder = Path(path).resolve().parent
    if KATA_FOLDER.fullmatch(folder.name) and (folder / "kata.json").is_file():
        return load_kata(folder)
    return None
