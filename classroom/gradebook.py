"""Grades for people: a table on the terminal, JSON per submission (merged on a regrade), a CSV
gradebook from those JSON files alone, and per-function feedback for students (the text of a grading
log, the Markdown of a Classroom 50 release body).

A grade's JSON (``record``) is ``SubmissionGrade.to_json()`` plus what the grade alone does not say:
per kata, the run that graded it (``run``: when, the tests' commit, torch, Python, the sandbox and the
limits), what its run met (``output_left_out``, ``limits_met``, ``tampering``) and its module's
``similarity`` signature; and ``run`` at the top, the run that last wrote the file. A submission that
could not be graded at all (no such folder, no katas/ in it) is a record with ``absent``: the reason.
"""

from __future__ import annotations

import csv
import datetime
import json
import platform
import re
import subprocess
import textwrap

from pathlib import Path

from katas.harness.status import Status

from .grades import SubmissionGrade
from .similarity import signals

RUN_KEYS = ("graded_at", "tests_commit", "uncommitted_changes", "torch", "python")
OUTPUT_LEFT_OUT = re.compile(r"\[\.\.\. (\d+) bytes of output left out")
# A test past its per-test limit: the harness's message (with where the code was), or pytest-timeout's.
PER_TEST_TIMEOUT = re.compile(r"still running after this test's ([\d.]+) s limit(?:, at ([^(]*?) \()?"
                              r"|Timeout \(>([\d.]+)s\)")
# The reasons a job's watcher gives when a kata meets a limit, and when kata code is caught at tampering.
LIMIT_REASON = re.compile(r"^(timed out|used more than|ran out of memory|filled its scratch space|started a process"
                          r"|was killed)")
TAMPERING_REASON = re.compile(r"^(tampered|tried to)")
SHOWN_IGNORED = 3  # ignored files listed by name in the terminal table


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


# --------------------------------------------------------------------------------------------------
# The terminal


def _counts(functions) -> str:
    """"2 done, 1 failing, 3 not started"; "done" when every function is."""
    statuses = [f.status for f in functions]
    if len(set(statuses)) == 1:
        return str(statuses[0])
    order = [Status.DONE, Status.FAILING, Status.BLOCKED, Status.BROKEN, Status.NOT_RUN, Status.SKIPPED,
             Status.ZERO, Status.NOT_STARTED]
    return ", ".join(f"{statuses.count(s)} {s}" for s in order if s in statuses)


def table(grade: SubmissionGrade, seen: list[str] = ()) -> str:
    """A submission's grade in a few lines: one per kata, one more per function that needs a look
    (failing, blocked, not run) with its first message, what its runs met (``seen``: ``finding_texts``)
    and the files the grade ignored."""
    width = max((len(k.folder) for k in grade.katas), default=0)
    lines = [f"== {grade.submission}: {grade.score}/{plural(grade.max_score, 'point')}"]
    for kata in grade.katas:
        head = f"   {kata.folder:<{width}}  {f'{kata.score}/{kata.max_score}':>5}  "
        if kata.reason:
            lines.append(head + f"{Status.ZERO}: {_first_line(kata.reason)}")
            continue
        if kata.broken:
            lines.append(head + f"{Status.BROKEN}: {_first_line(kata.broken)}")
            continue
        lines.append(head + _counts(kata.functions))
        for f in kata.functions:
            if f.status in EXPLAINED:
                lines.append(f"      {f.function}: {label(f)}" + (f": {_first_line(f.detail)}" if f.detail else ""))
    lines += [f"   seen: {text}" for text in seen]
    if grade.ignored:
        names = [re.sub(r" \(ignored[^)]*\)$", "", note) for note in grade.ignored]
        more = f"; and {len(names) - SHOWN_IGNORED} more" if len(names) > SHOWN_IGNORED else ""
        lines.append(f"   ignored (graded with the handed-out copies): {'; '.join(names[:SHOWN_IGNORED])}{more}")
    return "\n".join(lines)


def _first_line(text: str, chars: int = 150) -> str:
    line = next((part.strip() for part in CONTROL.sub("", text).splitlines() if part.strip()), "")
    return line[:chars] + ("…" if len(line) > chars else "")


def absent_line(record: dict) -> str:
    return f"== {record['submission']}: not graded: {record['absent']}"


def summary(records: list[dict]) -> str:
    """One line per submission: its total and each kata's points (from grade records)."""
    if not records:
        return ""
    katas = sorted({k["folder"] for r in records for k in r["katas"]})
    width = max(len("submission"), *(len(str(r["submission"])) for r in records))
    head = f"{'submission':<{width}}  {'total':>7}  " + "  ".join(katas)
    rows, marked = [head, "-" * len(head)], False
    for r in records:
        by_folder = {k["folder"]: k for k in r["katas"]}
        cells = []
        for folder in katas:
            kata = by_folder.get(folder)
            mark = "!" if kata and kata.get("reason") else ""
            marked = marked or bool(mark)
            text = f"{kata['score']}/{kata['max_score']}{mark}" if kata else "–"
            cells.append(f"{text:>{len(folder)}}")
        total = "–" if r.get("absent") else f"{r['score']}/{r['max_score']}"
        note = f"  not graded: {r['absent']}" if r.get("absent") else ""
        rows.append(f"{str(r['submission']):<{width}}  {total:>7}  {'  '.join(cells)}{note}".rstrip())
    if marked:
        rows.append("(! = the kata scored zero for a reason shown above)")
    return "\n".join(rows)


def signals_text(records: list[dict]) -> str:
    """The similarity signals of these grades, one per line ("" when there are none)."""
    found = signals(records)
    if not found:
        return ""
    lines = ["similarity (signals for a human to read, never a score change):"]
    lines += [f"   {s.kata}: {s.names()}: {s.what}" for s in found]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# JSON records


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


def limits_info(limits: dict, test_limit_s: float) -> dict:
    """The limits a kata was graded with (``spec.Limits`` as JSON), the per-test one resolved to the
    number its tests ran with (``KataGrade.test_limit_s``)."""
    info = {key: value for key, value in limits.items() if key != "jobs"}
    info["test_timeout_s"] = test_limit_s or info.get("test_timeout_s")
    return info


def findings(kata: dict) -> dict:
    """What a kata's run met, read from its grade: output left out (bytes), limits met (per function
    for a test past its per-test limit, "" for the whole kata) and tampering."""
    cut = OUTPUT_LEFT_OUT.search(kata.get("output") or "")
    reason = kata.get("reason") or ""
    met = [{"function": "", "limit": reason}] if LIMIT_REASON.match(reason) else []
    for f in kata.get("functions", []):
        timeout = PER_TEST_TIMEOUT.search(f.get("detail") or "")
        if timeout:
            seconds, at = float(timeout[1] or timeout[3]), f" (at {timeout[2]})" if timeout[2] else ""
            met.append({"function": f["function"], "limit": f"a test ran past its {seconds:g} s limit{at}"})
    return {"output_left_out": int(cut[1]) if cut else 0, "limits_met": met,
            "tampering": reason if TAMPERING_REASON.match(reason) else ""}


def record(grade: SubmissionGrade, run: dict, similarity: dict[str, dict] | None = None) -> dict:
    """The JSON of a grade: ``grade.to_json()``, each kata with its run (when, with what, in which
    isolation and limits), findings and module signature."""
    data = grade.to_json()
    data["run"] = {key: run.get(key) for key in RUN_KEYS}
    for kata in data["katas"]:
        kata["run"] = {**data["run"], "isolated": grade.isolated, "isolation": grade.isolation,
                       "memory": grade.memory, "limits": limits_info(grade.limits, kata["test_limit_s"])}
        kata.update(findings(kata))
        if similarity and kata["folder"] in similarity:
            kata["similarity"] = similarity[kata["folder"]]
    return data


def absent(name: str, path: str, reason: str, run: dict) -> dict:
    """The record of a submission that could not be graded: no katas, the reason."""
    return {"submission": name, "path": path, "score": 0, "max_score": 0, "katas": [], "ignored": [],
            "seconds": 0.0, "isolated": False, "run": {key: run.get(key) for key in RUN_KEYS}, "absent": reason}


def merge(old: dict, new: dict) -> dict:
    """``new`` (some katas regraded) over ``old`` (the student's earlier grade): the regraded katas
    replace theirs, every other kata stays as it was, with the run that graded it."""
    regraded = {k["folder"] for k in new["katas"]}
    kept = []
    for kata in old.get("katas", []):
        if kata["folder"] not in regraded:
            # a grade written before katas carried their own run: the file's run was theirs
            kept.append({"run": {**(old.get("run") or {}), "isolated": old.get("isolated", True)}, **kata})
    katas = sorted(kept + new["katas"], key=lambda k: k["folder"])
    merged = {**new, "katas": katas, "score": sum(k["score"] for k in katas),
              "max_score": sum(k["max_score"] for k in katas),
              "seconds": round(sum(k.get("seconds", 0.0) for k in katas), 3),
              "isolated": all(k["run"].get("isolated", True) for k in katas)}
    merged.pop("absent", None)
    return merged


def _target(path: Path, name: str, alone: bool) -> Path:
    if alone and path.suffix == ".json":
        return path
    return path / ((re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "submission") + ".json")


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("katas"), list) else None


def save(records: list[dict], path: Path, merge_katas: bool = False) -> list[tuple[Path, dict, str]]:
    """Write each record as JSON: PATH itself for one (a .json path), else PATH/<name>.json.

    ``merge_katas`` (a regrade of some katas): a record is merged into the student's file there. A
    submission not graded now never replaces a grade written before. Returns (file, the record it
    now holds, what happened) per record.
    """
    path = Path(path)
    done = []
    for data in records:
        target = _target(path, str(data["submission"]), len(records) == 1)
        target.parent.mkdir(parents=True, exist_ok=True)
        old = _read(target) if target.exists() else None
        same = old is not None and old.get("submission") == data["submission"]
        if data.get("absent") and same and not old.get("absent"):
            done.append((target, old, f"kept the earlier grade in {target} ({data['submission']}: not graded now)"))
            continue
        if merge_katas and same and not data.get("absent"):
            regraded = [k["folder"] for k in data["katas"]]
            data = merge(old, data)
            said = (f"updated {target}: {', '.join(regraded)} regraded, "
                    f"{plural(len(data['katas']) - len(regraded), 'other kata')} kept; now {data['score']}/{data['max_score']}")
        else:
            said = f"wrote {target}"
        target.write_text(json.dumps(data, indent=2))
        done.append((target, data, said))
    return done


def load(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """The grade records in these JSON files and folders of them; and a note for each file that is not one."""
    files, notes = [], []
    for path in map(Path, paths):
        files += sorted(path.glob("*.json")) if path.is_dir() else [path]
    records = []
    for file in files:
        try:
            data = json.loads(file.read_text())
        except (OSError, ValueError) as error:
            notes.append(f"{file}: not readable JSON ({error})")
            continue
        if isinstance(data, dict) and isinstance(data.get("katas"), list) and "submission" in data:
            records.append(data)
        else:
            notes.append(f"{file}: not a graded submission (grade --json writes those)")
    return records, notes


def write_csv(records: list[dict], path: Path) -> None:
    """The gradebook from grade records: one row per submission; total, each kata, each function, the
    reasons for zeros, the ignored files, what its runs met, the similarity signals, and why a
    submission was not graded."""
    columns = ["submission", "score", "max_score"]
    structure: dict[str, list[str]] = {}
    for r in records:
        for kata in r["katas"]:
            known = structure.setdefault(kata["folder"], [])
            known += [f["function"] for f in kata["functions"] if f["function"] not in known]
    for folder in sorted(structure):
        columns.append(folder)
        columns += [f"{folder}.{function}" for function in structure[folder]]
    columns += ["zero_reasons", "ignored_files", "findings", "similarity", "not_graded"]
    found = signals(records)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for r in records:
            by_folder = {k["folder"]: k for k in r["katas"]}
            row = [r["submission"], r["score"], r["max_score"]]
            for folder in sorted(structure):
                kata = by_folder.get(folder)
                scores = {f["function"]: f["score"] for f in kata["functions"]} if kata else {}
                row.append(kata["score"] if kata else "")
                row += [scores.get(function, "") for function in structure[folder]]
            row.append("; ".join(f"{k['folder']}: {k['reason']}" for k in r["katas"] if k.get("reason")))
            row.append("; ".join(r.get("ignored", [])))
            row.append("; ".join(finding_texts(r)))
            row.append("; ".join(f"{s.kata}: {s.what}" + ("" if s.with_reference else
                                                         f" (with {', '.join(n for n in s.who if n != r['submission'])})")
                                 for s in found if r["submission"] in s.who))
            row.append(r.get("absent", ""))
            writer.writerow(row)


def finding_texts(r: dict) -> list[str]:
    """What a submission's runs met, one short text each: output left out, limits, tampering, no sandbox."""
    texts = []
    for kata in r["katas"]:
        if kata.get("output_left_out"):
            texts.append(f"{kata['folder']}: {kata['output_left_out']:,} bytes of output left out")
        for met in kata.get("limits_met", []):
            texts.append(f"{kata['folder']}{'.' + met['function'] if met['function'] else ''}: {met['limit']}")
        if kata.get("tampering"):
            texts.append(f"{kata['folder']}: {kata['tampering']}")
        if not (kata.get("run") or {}).get("isolated", True):
            texts.append(f"{kata['folder']}: graded without the OS sandbox")
    return texts


# --------------------------------------------------------------------------------------------------
# Feedback for the student: per function, its status and points, and for one that does not pass, the
# first failure's message and how to get a hint. The same content as log text (`check`, the Classroom
# 50 autograder's log) and as Markdown (the release body Classroom 50 publishes).

MESSAGE_CHARS, MESSAGE_LINES = 1500, 25  # of one message in the release body
MESSAGE_WIDTH = 100  # characters per line of a message in the release body; longer lines are wrapped
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
    (a code block scrolls sideways: the end of a long line, often the hint, would be off-screen),
    clipped with a note (outside the block). Nothing else inside is escaped or removed."""
    wrapped = "\n".join(piece for line in text.rstrip().splitlines()
                        for piece in (textwrap.wrap(line, MESSAGE_WIDTH, subsequent_indent="  ", drop_whitespace=False,
                                                    break_on_hyphens=False) or [""]))
    kept, cut = clip(wrapped, MESSAGE_CHARS, MESSAGE_LINES)
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
