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

from pathlib import Path

from katas.harness.status import Status

from .feedback import CONTROL, EXPLAINED, label, plural
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
