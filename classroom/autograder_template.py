#!/usr/bin/env python3
"""Classroom 50 autograder for torch-katas, written by `python -m classroom bundle`.

The runner calls it with the student's checkout as the working directory. It grades the kata
modules found there with the pristine (and hidden) tests next to this file, one isolated process per
kata, and writes ./result.json in the classroom50/result/v1 schema: one test entry per kata
function, worth that function's points when all its tests pass. Beside it, ./release-body.md: the
per-function feedback (status, points, a failing function's first message and how to ask for a hint),
which the runner publishes as the submission's release text and on the run's Summary page instead of
its own PASS/FAIL table. It exits 0 whenever result.json was written (a failing grade is not a runner
failure).
"""

import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ensure_dependencies() -> None:
    try:
        import numpy, pytest, pytest_timeout, torch  # noqa: E401, F401
    except ImportError:
        from classroom import edition

        requirements = str(HERE / "pristine" / "requirements.txt")
        for command in edition.install_commands(sys.executable, requirements, quiet=True):
            subprocess.run(command, check=True)


def committed_at() -> str:
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], capture_output=True, text=True, timeout=10)
        stamp = datetime.datetime.fromtimestamp(int(out.stdout.strip()), datetime.timezone.utc)
    except Exception:
        stamp = datetime.datetime.now(datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def main() -> int:
    result_path = Path("result.json").resolve()
    result_path.unlink(missing_ok=True)  # never let a committed result.json stand for a grade
    body_path = result_path.with_name("release-body.md")
    body_path.unlink(missing_ok=True)  # nor a committed release body for its feedback
    submission = Path.cwd()
    started_at = committed_at()
    sys.path[:0] = [str(HERE), str(HERE / "pristine")]  # the grading runtime, and the harness it grades with
    ensure_dependencies()
    from classroom import core, gradebook

    manifest = json.loads((HERE / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="katas-autograder-") as work:
        (grade,) = core.grade([submission], HERE / "pristine", Path(work) / "grading", manifest=manifest,
                              names=[os.environ.get("OWNER") or os.environ.get("USERNAME") or submission.name])
    tests = []
    for kata in grade.katas:
        for f in kata.functions:
            message = kata.reason or kata.broken or f.detail or str(f.status)
            tests.append({
                "test-name": f"{kata.folder}::{f.function}",
                "passed": f.score == f.points,
                "score": f.score,
                "max-score": f.points,
                "status": f.status,
                "message": message[:500],
            })
    commit = os.environ.get("COMMIT_URL") or "local"
    result = {
        "schema": "classroom50/result/v1",
        "classroom": os.environ.get("CLASSROOM") or "local",
        "assignment": os.environ.get("ASSIGNMENT") or "torch-katas",
        "submission": os.environ.get("SUBMISSION_TAG") or "local",
        "commit": commit,
        "release": os.environ.get("RELEASE_URL") or commit,
        "review": os.environ.get("REVIEW_URL") or commit,
        "datetime": started_at,
        "graded_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "score": sum(t["score"] for t in tests),
        "max-score": sum(t["max-score"] for t in tests),
        "tests": tests,
    }
    result_path.write_text(json.dumps(result, indent=2))
    try:  # feedback only: the grade is in result.json, and the runner writes a table when this is missing
        body_path.write_text(gradebook.release_body(grade), encoding="utf-8", errors="replace")
    except Exception as error:
        print(f"could not write {body_path.name}: {error!r}", file=sys.stderr)
    print(gradebook.feedback(grade))
    print(f"{result['score']}/{result['max-score']} points across {len(tests)} functions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
