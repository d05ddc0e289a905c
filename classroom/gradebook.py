"""Grades for people: a table on the terminal, JSON per submission, a CSV gradebook, and per-function
feedback for students (the text of a grading log, the Markdown of a Classroom 50 release body)."""

from __future__ import annotations

import csv
import datetime
import json
import platform
import re
import subprocess
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


def run_info(repo: Path) -> dict:
    """What a grading run used, saved with each grade: when, the tests' commit, torch and Python."""
    import torch

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    changes = git("status", "--porcelain", "--untracked-files=no", "--", "katas", "reference") if commit else None
    return {
        "graded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tests_commit": commit or "unknown",
        "uncommitted_changes": bool(changes) if changes is not None else None,  # under katas/ or reference/
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def write_json(grades: list[SubmissionGrade], path: Path, run: dict | None = None) -> list[Path]:
    """One JSON file per submission: PATH itself for one, PATH/<name>.json for several (a folder).

    Each is ``SubmissionGrade.to_json()``, plus ``run`` (``run_info``) when given.
    """
    path = Path(path)

    def text(g: SubmissionGrade) -> str:
        return json.dumps({**g.to_json(), **({"run": run} if run else {})}, indent=2)

    if len(grades) == 1 and path.suffix == ".json":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(grades[0]))
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for g in grades:
        target = path / (re.sub(r"[^A-Za-z0-9_.-]+", "_", g.submission).strip("._") or "submission")
        target = target.with_name(target.name + ".json")
        target.write_text(text(g))
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


# --------------------------------------------------------------------------------------------------
# Feedback for the student: per function, its status and points, and for one that does not pass, the
# first failure's message and how to get a hint. The same content as log text (`check`, the Classroom
# 50 autograder's log) and as Markdown (the release body Classroom 50 publishes).

MESSAGE_CHARS, MESSAGE_LINES = 1500, 25  # of one message in the release body
LOG_CHARS, LOG_LINES = 4000, 60  # of one message in a log
BODY_CHARS = 60_000  # GitHub caps a release body at 125,000 characters; the page should stay readable
MARK = {Status.DONE: "✅", Status.FAILING: "❌", Status.BLOCKED: "⏸️", Status.NOT_STARTED: "⬜",
        Status.BROKEN: "💥", Status.SKIPPED: "➖", Status.NOT_RUN: "❔", Status.ZERO: "⛔"}
EXPLAINED = (Status.FAILING, Status.BLOCKED, Status.NOT_RUN)  # statuses whose message is shown
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # not \t or \n: ANSI escapes, \r, NUL


def label(f) -> str:
    if f.status is Status.FAILING:
        return f"{f.status}, {f.passed}/{f.expected} tests pass"
    if f.status is Status.SKIPPED:
        return f"{f.status} (none of its tests can run here)"
    return str(f.status)


def hints(folder: str, function: str) -> tuple[str, str]:
    return f"python -m katas hint {folder} {function}", f"pytest katas/{folder} -k {function}"


def clip(text: str, chars: int, lines: int) -> tuple[str, int]:
    """``text`` cut to at most ``chars`` characters and ``lines`` lines; and how many characters went."""
    kept = "\n".join(text.splitlines()[:lines])[:chars]
    return kept, len(text) - len(kept)


def feedback(grade: SubmissionGrade) -> str:
    """Per-function feedback as plain text for a log. Every line of a message is indented, so that
    student output cannot start a GitHub workflow command (those act only at the start of a line)."""

    def block(text: str, indent: str) -> list[str]:
        kept, cut = clip(CONTROL.sub("", text), LOG_CHARS, LOG_LINES)
        note = [f"{indent}({cut} more characters not shown)"] if cut > 0 else []
        return [f"{indent}| {line}" for line in kept.splitlines()] + note

    lines = [f"== {CONTROL.sub('', grade.submission)}: {grade.score}/{grade.max_score} points"]
    for kata in grade.katas:
        lines.append(f"   {kata.folder:<22} {kata.title:<52} {kata.score:>3}/{kata.max_score:<3}")
        if kata.reason:
            lines += [f"      {Status.ZERO}: every function of this kata scores 0, because:", *block(kata.reason, "      ")]
            continue
        if kata.broken:
            lines += [f"      {Status.BROKEN}: the module does not import:", *block(kata.broken, "      ")]
        for f in kata.functions:
            lines.append(f"      {f.function:<24} {f.score}/{f.points}  {label(f)}")
            if f.status in EXPLAINED and f.detail:
                hint, rerun = hints(kata.folder, f.function)
                lines += [*block(f.detail, "         "), f"         hint: {hint}    rerun its tests: {rerun}"]
    return "\n".join(lines)


def md_text(text: str) -> str:
    """Text for Markdown outside code: one line, and a backslash before each character that could
    start markup (emphasis, code, links, HTML, entities, tables, strikethrough, mentions)."""
    return re.sub(r"([\\`*_\[\]<>&|~!#@])", r"\\\1", " ".join(str(text).split()))


def md_code(text: str) -> str:
    """An inline code span that ``text`` cannot close (CommonMark: a longer backtick run than inside)."""
    text = " ".join(str(text).split())
    ticks = "`" * (max(map(len, re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_block(text: str) -> list[str]:
    """Student-derived text as a fenced code block that nothing in it can close, clipped with a note
    (outside the block). Nothing else inside is escaped or removed."""
    kept, cut = clip(text.rstrip(), MESSAGE_CHARS, MESSAGE_LINES)
    fence = "`" * max(3, max(map(len, re.findall(r"`+", kept)), default=0) + 1)
    note = [f"*… {cut} more characters not shown: run the tests locally to see the whole message.*", ""] if cut > 0 else []
    return [f"{fence}text", kept, fence, "", *note]


def release_body(grade: SubmissionGrade) -> str:
    """The Markdown a Classroom 50 runner publishes as the submission's release text (and on the run's
    Summary page): the score, then per kata and function the status and points, and for a function that
    does not pass the first failure's message and the commands that give a hint and rerun its tests."""
    done = sum(f.status is Status.DONE for k in grade.katas for f in k.functions)
    functions = sum(len(k.functions) for k in grade.katas)
    complete = sum(k.score == k.max_score for k in grade.katas)
    lines = [f"## torch-katas: {grade.score}/{grade.max_score} points", "",
             f"{complete} of {len(grade.katas)} katas complete, {done} of {functions} functions done.", "",
             "| kata | points | functions done |", "| --- | ---: | ---: |"]
    for kata in grade.katas:
        kata_done = sum(f.status is Status.DONE for f in kata.functions)
        note = f" ({Status.ZERO})" if kata.reason else f" ({Status.BROKEN})" if kata.broken else ""
        lines.append(f"| {md_text(kata.folder)}: {md_text(kata.title)} | {kata.score}/{kata.max_score}{note} "
                     f"| {kata_done}/{len(kata.functions)} |")
    lines.append("")
    left_out = 0
    for kata in grade.katas:
        lines += [f"### {md_text(kata.folder)}: {kata.score}/{kata.max_score} points", ""]
        if kata.reason:
            lines += ["Every function of this kata scores 0, because:", "", *md_block(kata.reason)]
        elif kata.broken:
            lines += ["The module does not import, so none of its tests could run:", "", *md_block(kata.broken)]
        lines += ["| function | status | points |", "| --- | --- | ---: |"]
        lines += [f"| {md_text(f.function)} | {MARK.get(f.status, '')} {md_text(label(f))} | {f.score}/{f.points} |"
                  for f in kata.functions]
        lines.append("")
        for f in kata.functions:
            if kata.reason or f.status not in EXPLAINED or not f.detail:
                continue
            if sum(map(len, lines)) > BODY_CHARS:
                left_out += 1
                continue
            hint, rerun = hints(kata.folder, f.function)
            lines += [f"#### {md_text(f.function)}: {md_text(label(f))}", "", *md_block(f.detail),
                      f"Ask for a hint with {md_code(hint)}; rerun its tests with {md_code(rerun)}.", ""]
    if left_out:
        lines += [f"*{left_out} more messages left out to keep this page short: "
                  f"{md_code('python -m classroom check NN_topic')} prints them all.*", ""]
    return "\n".join(lines)
