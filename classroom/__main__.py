"""python -m classroom {export,bundle,grade,report,check}: hand the course out, grade it, see where the class is."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from katas.harness.status import Status

from . import core
from .spec import Limits

INSTRUCTOR_ONLY = "`python -m classroom {}` works in the instructor's repository only (this edition has no reference)."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    export = commands.add_parser("export", help="write the student edition (no reference, no hidden tests) "
                                 "and verify it")
    export.add_argument("out", type=Path, help="a new or empty folder")
    export.add_argument("--no-verify", action="store_true", help="skip running the tests in the edition")
    export.add_argument("--replace", action="store_true", help="replace OUT if it holds an earlier edition")

    bundle = commands.add_parser("bundle", help="write a Classroom 50 autograder folder")
    bundle.add_argument("out", type=Path, help="a new or empty folder")
    bundle.add_argument("--replace", action="store_true", help="replace OUT if it holds an earlier bundle")

    grade = commands.add_parser("grade", help="grade student checkouts with the pristine tests")
    grade.add_argument("submissions", type=Path, nargs="+", help="student checkouts (folders with katas/)")
    grade.add_argument("--json", type=Path, help="write JSON: a .json file for one submission, else a folder")
    grade.add_argument("--csv", type=Path, help="write the gradebook as CSV")
    grade.add_argument("--kata", action="append", help="grade only this kata folder (repeatable)")
    grade.add_argument("--html", type=Path, help="also write the class report (see `report`) to this file")
    Limits.add_flags(grade)

    report = commands.add_parser("report", help="one self-contained HTML page from graded submissions: "
                                 "where the class is stuck")
    report.add_argument("grades", type=Path, nargs="+", help="grade JSON files, or folders of them (grade --json)")
    report.add_argument("--html", type=Path, required=True, help="the HTML file to write")

    check = commands.add_parser("check", help="grade the katas of this checkout; exit 0 only if every function "
                                "of them is done (the autograding workflow step)")
    check.add_argument("katas", nargs="+", help="kata folders, e.g. 03_einsum or katas/03_einsum")
    Limits.add_flags(check)

    args = parser.parse_args(argv)
    return {"export": _export, "bundle": _bundle, "grade": _grade, "report": _report, "check": _check}[args.command](args)


def _instructor(name: str) -> bool:
    """export and bundle need the instructor's repository (the student edition lacks those modules)."""
    try:
        from . import bundle, export  # noqa: F401
    except ImportError:
        print(INSTRUCTOR_ONLY.format(name), file=sys.stderr)
        return False
    return True


def _replace(out: Path, marks: list[str]) -> bool:
    """Empty ``out`` for --replace, only if it is what this tool wrote there before."""
    if not out.exists() or not any(out.iterdir()):
        return True
    if not all((out / mark).exists() for mark in marks):
        print(f"{out} is not empty and does not look like an earlier output (no {', '.join(marks)}): "
              "not replacing it", file=sys.stderr)
        return False
    shutil.rmtree(out)
    return True


def _export(args) -> int:
    if not _instructor("export"):
        return 2
    from . import export, workflow

    if args.replace and not _replace(args.out, ["katas/harness", workflow.PATH]):
        return 2

    katas = export.build(args.out)
    print(f"wrote the student edition of {len(katas)} kata(s) to {args.out}")
    if args.no_verify:
        return 0
    problems = export.verify(args.out, katas=katas)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"verified: no reference code in it; `pytest katas` shows every kata {Status.NOT_STARTED}; "
          "`--impl reference` says there is no reference")
    return 0


def _bundle(args) -> int:
    if not _instructor("bundle"):
        return 2
    from . import bundle

    if args.replace and not _replace(args.out, ["autograder.py", "manifest.json", "pristine"]):
        return 2
    bundle.build(args.out)
    print(f"wrote the Classroom 50 autograder to {args.out}: upload the folder's contents as "
          "CLASSROOM/autograders/ASSIGNMENT/ (autograder.py at its top)")
    return 0


def _grade(args) -> int:
    from . import gradebook

    if args.html and _classreport() is None:
        return 2
    absent = [str(s) for s in args.submissions if not s.is_dir()]
    if absent:
        print(f"no such folder: {', '.join(absent)}", file=sys.stderr)
        return 2
    for s in args.submissions:
        if not (s / "katas").is_dir():  # graded anyway (every kata module missing): one bad checkout
            print(f"warning: {s} has no katas/ folder", file=sys.stderr)  # must not stop a class
    with tempfile.TemporaryDirectory(prefix="katas-grade-") as work:
        work = Path(work)
        try:
            from . import bundle, export
        except ImportError:  # the student edition: grade against its own tests
            pristine, manifest, protect, repo = Path.cwd(), None, [], Path.cwd()
        else:
            manifest = bundle.grading_tree(work / "pristine")
            pristine, protect, repo = work / "pristine", [export.ROOT / "reference"], export.ROOT
        grades = core.grade(args.submissions, pristine, work / "grading", limits=Limits.from_args(args),
                            manifest=manifest, protect=protect, only=args.kata)
    run = gradebook.run_info(repo)
    for g in grades:
        print(gradebook.table(g))
        print()
    if len(grades) > 1:
        print(gradebook.summary(grades))
    if args.json:
        for path in gradebook.write_json(grades, args.json, run):
            print(f"wrote {path}")
    if args.csv:
        gradebook.write_csv(grades, args.csv)
        print(f"wrote {args.csv}")
    if args.html:
        return _write_report([{**g.to_json(), "run": run} for g in grades], args.html)
    return 0


def _report(args) -> int:
    absent = [str(p) for p in args.grades if not p.exists()]
    if absent:
        print(f"no such file or folder: {', '.join(absent)}", file=sys.stderr)
        return 2
    classreport = _classreport()
    if classreport is None:
        return 2
    grades, notes = classreport.load(args.grades)
    for note in notes:
        print(f"skipped {note}", file=sys.stderr)
    if not grades:
        print("no graded submissions found (write them with `python -m classroom grade ... --json DIR`)", file=sys.stderr)
        return 2
    return _write_report(grades, args.html)


def _classreport():
    try:
        from . import classreport
    except ImportError:  # the student edition has no class report
        print(INSTRUCTOR_ONLY.format("report"), file=sys.stderr)
        return None
    return classreport


def _write_report(grades: list[dict], path: Path) -> int:
    classreport = _classreport()
    if classreport is None:
        return 2
    classreport.write(grades, path)
    print(f"wrote the class report of {len(grades)} submission(s) to {path}")
    return 0


def _check(args) -> int:
    from . import gradebook

    folders = [Path(k).name for k in args.katas]
    here = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="katas-check-") as work:
        (grade,) = core.grade([here], here, Path(work), limits=Limits.from_args(args), only=folders)
    print(gradebook.feedback(grade))
    done = all(f.status is Status.DONE for k in grade.katas for f in k.functions)
    print(f"{'PASS' if done else 'FAIL'}: {grade.score}/{grade.max_score} points"
          + ("" if done else " (this step passes only when every function of the kata is done)"))
    return 0 if done else 1


if __name__ == "__main__":
    sys.exit(main())
