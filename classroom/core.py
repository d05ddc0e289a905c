"""Grading: every grader (``grade``, ``check``, the Classroom 50 autograder) goes through ``grade``.

A grading tree ("pristine") holds the handed-out katas (tests, harness, kata.json), conftest.py and
pyproject.toml, plus any hidden tests, and never the reference. A submission contributes only its
kata modules (``intake``), read once as bytes.

This process imports no torch and runs no kata code. It starts the grading sandbox (``pool``:
bubblewrap, and inside it a zygote that imported torch once), which forks one job per (submission,
kata), each in namespaces of its own with the kata module in its private scratch folder
(``sandbox``). Each job runs pytest in-process on its one kata and sends the harness's run report
back (``recorder``). Grades are scored from those reports alone, against the tests collected from
the pristine tree with no kata code loaded (``scoring``), after every process of the run is gone.
"""

from __future__ import annotations

from pathlib import Path

from katas.harness.kata import all_katas

from .grades import KataGrade, SubmissionGrade
from .intake import ignored_files, take_module
from .pool import Job, Limits, run_jobs
from .scoring import expected_tests, score


def grade(
    submissions: list[Path],
    pristine: Path,
    work: Path,
    *,
    limits: Limits = Limits(),
    manifest: dict[str, str] | None = None,
    protect: list[Path] = (),
    only: list[str] | None = None,
    names: list[str] | None = None,
    isolate: bool | None = None,
) -> list[SubmissionGrade]:
    """Grade each submission (a student checkout) with the tests in ``pristine``.

    ``work`` is an empty scratch folder; ``manifest`` (relative path -> sha256 of the handed-out
    edition) lets the grade report edited or extra files and skip untouched stubs; ``protect`` are
    folders no kata code may read (the reference: outside the sandbox's view anyway, and refused by
    the audit hook without bwrap); ``only`` limits grading to those kata folders; ``isolate``: None
    sandboxes kata code where bubblewrap is available, False never (tests of that path).
    """
    pristine = Path(pristine).resolve()
    known = all_katas(pristine / "katas")
    katas = [k for k in known if only is None or k.folder in only]
    if only is not None and len(katas) != len(set(only)):
        unknown = sorted(set(only) - {k.folder for k in katas})
        raise ValueError(f"unknown kata(s) {', '.join(unknown)}; known: {', '.join(k.folder for k in known)}")
    submissions = [Path(s).resolve() for s in submissions]
    names = names or _names(submissions)
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    # Without bwrap, the audit hook refuses reads of these; with it, kata code cannot see them at all.
    deny_read = tuple(str(p) for p in [*protect, *submissions, work / "jobs"]
                      if Path(p).exists() and Path(p).resolve() != pristine)

    # the expected tests, collected with the handed-out stubs (collection loads no kata code)
    collect = Job("collect", [k.folder for k in katas])
    jobs = [collect]
    planned: list[list[tuple[object, Job | KataGrade]]] = []
    for submission in submissions:
        row = []
        for kata in katas:
            taken = take_module(submission, kata, manifest)
            if isinstance(taken, KataGrade):
                row.append((kata, taken))
                continue
            job = Job("kata", [kata.folder], kata.module, taken, deny_read=deny_read)
            jobs.append(job)
            row.append((kata, job))
        planned.append(row)

    isolated = run_jobs(jobs, limits, pristine, work, isolate)
    expected = expected_tests(collect)

    grades = []
    for number, submission in enumerate(submissions):
        graded = [entry if isinstance(entry, KataGrade) else score(kata, entry, expected) for kata, entry in planned[number]]
        grades.append(SubmissionGrade(
            submission=names[number], path=str(submission),
            score=sum(k.score for k in graded), max_score=sum(k.max_score for k in graded), katas=graded,
            ignored=ignored_files(submission, manifest, katas) if manifest else [],
            seconds=round(sum(k.seconds for k in graded), 3), isolated=isolated,
        ))
    return grades


def _names(paths: list[Path]) -> list[str]:
    names = [p.name or str(p) for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    return names
