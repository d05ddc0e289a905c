"""Feedback for the student: per function, its status and points, and for one that does not pass, the
first failure's message (already within the clipping policy, ``katas.harness.clip``) and how to get
a hint. The same content as log text (`check`, the Classroom 50 autograder's log) and as Markdown
(the release body Classroom 50 publishes)."""

from __future__ import annotations

import re
import textwrap

from katas.harness.clip import clip
from katas.harness.status import Status

from .grades import SubmissionGrade

MESSAGE_WIDTH = 100  # characters per line of a message in the release body; longer lines are wrapped
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


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def log_text(grade: SubmissionGrade) -> str:
    """Per-function feedback as plain text for a log. Every line of a message is indented, so that
    student output cannot start a GitHub workflow command (those act only at the start of a line)."""

    def block(text: str, indent: str) -> list[str]:
        return [f"{indent}| {line}" for line in clip(CONTROL.sub("", text)).splitlines()]

    lines = [f"== {CONTROL.sub('', grade.submission)}: {grade.score}/{plural(grade.max_score, 'point')}"]
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
    """Student-derived text as a fenced code block that nothing in it can close, its long lines wrapped
    (a code block scrolls sideways: the end of a long line, often the hint, would be off-screen) and
    clipped by the one policy (head and tail, and a line saying what was left out). Nothing else
    inside is escaped or removed."""
    wrapped = "\n".join(piece for line in text.rstrip().splitlines()
                        for piece in (textwrap.wrap(line, MESSAGE_WIDTH, subsequent_indent="  ", drop_whitespace=False,
                                                    break_on_hyphens=False) or [""]))
    kept = clip(wrapped)
    fence = "`" * max(3, max(map(len, re.findall(r"`+", kept)), default=0) + 1)
    return [f"{fence}text", kept, fence, ""]


def release_body(grade: SubmissionGrade) -> str:
    """The Markdown a Classroom 50 runner publishes as the submission's release text (and on the run's
    Summary page): the score, then per kata and function the status and points, and for a function that
    does not pass the first failure's message and the commands that give a hint and rerun its tests."""
    done = sum(f.status is Status.DONE for k in grade.katas for f in k.functions)
    functions = sum(len(k.functions) for k in grade.katas)
    complete = sum(k.score == k.max_score for k in grade.katas)
    lines = [f"## torch-katas: {grade.score}/{plural(grade.max_score, 'point')}", "",
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
        lines += [f"### {md_text(kata.folder)}: {kata.score}/{plural(kata.max_score, 'point')}", ""]
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
