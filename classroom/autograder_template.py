#!/usr/bin/env python3
"""Classroom 50 autograder for torch-katas, written by `python -m classroom bundle`.

The runner calls it with the student's checkout as the working directory. It grades the kata
modules found there with a fresh copy of the pristine (and hidden) tests next to this file, one
sandboxed process per kata, and once every process of the submission is gone it writes
./result.json in the classroom50/result/v1 schema (atomically, replacing whatever stood there: a
file, a folder, a link): one test entry per kata function, worth that function's points when all its
tests pass. Beside it, ./release-body.md: the per-function feedback (status, points, a failing
function's first message and how to ask for a hint), which the runner publishes as the submission's
release text and on the run's Summary page instead of its own PASS/FAIL table. It always writes a
valid result and exits 0 (a failing grade, or a grading failure, is not a runner failure).
"""

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback
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


def remove(path: Path) -> None:
    """Whatever stands at ``path`` (a file, a link, a folder), gone; a link is removed, not followed."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a complete file or none, never a mix."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    remove(temporary)
    temporary.write_text(text, encoding="utf-8", errors="replace")
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)  # os.replace cannot put a file over a folder
    os.replace(temporary, path)


def failed_result(error: str, started_at: str) -> dict:
    """A valid result when grading itself failed: every kata function at zero, with the error."""
    tests = []
    try:
        from katas.harness.status import Status  # needs torch: maybe not installed

        status = {"status": Status.NOT_RUN.value}
    except Exception:
        status = {}
    try:
        for kata_json in sorted((HERE / "pristine" / "katas").glob("*/kata.json")):
            for function, worth in json.loads(kata_json.read_text())["points"].items():
                tests.append({"test-name": f"{kata_json.parent.name}::{function}", "passed": False, "score": 0,
                              "max-score": worth, **status, "message": f"grading failed: {error}"[:500]})
    except Exception:
        pass
    return envelope(tests, started_at)


def main(argv: list[str] | None = None) -> int:
    result_path = Path("result.json").absolute()
    body_path = result_path.with_name("release-body.md")
    started_at = committed_at()
    body = None
    try:
        remove(result_path)  # never let a committed result.json stand for a grade,
        remove(body_path)  # nor a committed release body for its feedback
        result, feedback, body = grade(started_at, argv)
    except BaseException as error:  # grading failed: say so in a valid result, never crash without one
        traceback.print_exc()
        result, feedback = failed_result(f"{type(error).__name__}: {error}", started_at), "grading failed"
    write_atomically(result_path, json.dumps(result, indent=2))
    if body is not None:
        try:  # feedback only: the grade is in result.json, and the runner writes a table when this is missing
            write_atomically(body_path, body)
        except Exception as error:
            print(f"could not write {body_path.name}: {error!r}", file=sys.stderr)
    print(feedback)
    print(f"{result['score']}/{result['max-score']} points across {len(result['tests'])} functions")
    return 0


def grade(started_at: str, argv: list[str] | None) -> tuple[dict, str, str]:
    """The result, the feedback for the log, and the release body."""
    submission = Path.cwd()
    sys.path[:0] = [str(HERE), str(HERE / "pristine")]  # the grading runtime, and the harness it grades with
    ensure_dependencies()
    from classroom import core, feedback
    from classroom.spec import Limits

    parser = argparse.ArgumentParser(description="grade the checkout in the working directory")
    Limits.add_flags(parser)
    limits = Limits.from_args(parser.parse_args(argv))

    manifest = json.loads((HERE / "manifest.json").read_text())
    with tempfile.TemporaryDirectory(prefix="katas-autograder-") as work:
        # a fresh copy every run: nothing a run does to the grading tree reaches the next one
        pristine = Path(work) / "pristine"
        shutil.copytree(HERE / "pristine", pristine, symlinks=True)
        (grade,) = core.grade([submission], pristine, Path(work) / "grading", manifest=manifest, limits=limits,
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
    return envelope(tests, started_at), feedback.log_text(grade), feedback.release_body(grade)


def envelope(tests: list[dict], started_at: str) -> dict:
    commit = os.environ.get("COMMIT_URL") or "local"
    return {
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


if __name__ == "__main__":
    sys.exit(main())
