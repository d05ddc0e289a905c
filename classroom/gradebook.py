"""Grades for people: a table on the terminal, JSON per submission, a CSV gradebook."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from katas.harness.status import Status

from .grades import SubmissionGrade


def table(grade: SubmissionGrade) -> str:
    lines = [f"== {grade.submission}: {grade.score}/{grade.max_score} points"]
    for kata in grade.katas:
        lines.append(f"   {kata.folder:<22} {kata.title:<52} {kata.score:>3}/{kata.max_score:<3}")
        if kata.reason:
            lines.append(f"      ZERO: {kata.reason}")
            continue
        if kata.broken:
            lines.append(f"      {Status.BROKEN}: {kata.broken}")
        for f in kata.functions:
            counts = f" ({f.passed}/{f.expected} tests pass)" if f.status is Status.FAILING else ""
            lines.append(f"      {f.function:<24} {f.score}/{f.points}  {f.status}{counts}")
            if f.status is Status.FAILING and f.detail:
                lines.append("         " + f.detail.splitlines()[0][:150])
    for note in grade.ignored:
        lines.append(f"   ignored: {note}")
    return "\n".join(lines)


def summary(grades: list[SubmissionGrade]) -> str:
    if not grades:
        return ""
    katas = [k.folder for k in grades[0].katas]
    width = max(12, *(len(g.submission) for g in grades))
    head = f"{'submission':<{width}} {'total':>9}  " + "  ".join(f"{k[:10]:>10}" for k in katas)
    rows = [head, "-" * len(head)]
    for g in grades:
        cells = "  ".join(f"{f'{k.score}/{k.max_score}' + ('!' if k.reason else ''):>10}" for k in g.katas)
        rows.append(f"{g.submission:<{width}} {f'{g.score}/{g.max_score}':>9}  {cells}")
    rows.append("(! = the kata scored zero for a reason shown above)")
    return "\n".join(rows)


def write_json(grades: list[SubmissionGrade], path: Path) -> list[Path]:
    """One JSON file per submission: PATH itself for one, PATH/<name>.json for several (a folder)."""
    path = Path(path)
    if len(grades) == 1 and path.suffix == ".json":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(grades[0].to_json(), indent=2))
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for g in grades:
        target = path / (re.sub(r"[^A-Za-z0-9_.-]+", "_", g.submission).strip("._") or "submission")
        target = target.with_name(target.name + ".json")
        target.write_text(json.dumps(g.to_json(), indent=2))
        written.append(target)
    return written


def write_csv(grades: list[SubmissionGrade], path: Path) -> None:
    """The gradebook: one row per submission; total, each kata, each function, and the reasons."""
    if not grades:
        return
    columns = ["submission", "score", "max_score"]
    for kata in grades[0].katas:
        columns.append(kata.folder)
        columns += [f"{kata.folder}.{f.function}" for f in kata.functions]
    columns += ["zero_reasons", "ignored_files"]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for g in grades:
            row = [g.submission, g.score, g.max_score]
            for kata in g.katas:
                row.append(kata.score)
                row += [f.score for f in kata.functions]
            row.append("; ".join(f"{k.folder}: {k.reason}" for k in g.katas if k.reason))
            row.append("; ".join(g.ignored))
            writer.writerow(row)
