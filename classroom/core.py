"""Grading: every grader (``grade``, ``check``, the Classroom 50 autograder) goes through ``grade``.

A grading tree ("pristine") holds the handed-out katas (tests, harness, kata.json), conftest.py and
pyproject.toml, plus any hidden tests, and never the reference. A submission contributes only its
kata modules (``intake``), copied as regular files into a folder of their own that the tests load
with ``--impl FOLDER``.

The parent imports torch, pytest and the harness once, then forks one job per (submission, kata)
(``pool``). Each job sets its limits, confines itself (``sandbox``), runs pytest in-process on that
one kata and writes the harness's run report to a result file (``recorder``). The parent scores
from that file alone, against the tests collected from the pristine tree with no kata code loaded
(``scoring``).
"""

from __future__ import annotations

import os
from pathlib import Path

from katas.harness import kata as kata_metadata
from katas.harness.kata import all_katas

from .grades import KataGrade, SubmissionGrade
from .intake import ignored_files, take_module
from .pool import Job, Limits, run_jobs
from .recorder import child
from .scoring import expected_tests, score


def preload(pristine: Path) -> None:
    """Import what every job uses once, in the parent, and check the harness is the grading tree's."""
    import _pytest.skipping  # noqa: F401
    import pytest  # noqa: F401
    import pytest_timeout  # noqa: F401
    import torch  # noqa: F401

    import katas.harness.plugin  # noqa: F401

    mine, theirs = Path(kata_metadata.__file__).parent, pristine / "katas" / "harness"
    differ = [p.name for p in sorted(theirs.glob("*.py")) if (mine / p.name).read_bytes() != p.read_bytes()]
    if differ:
        raise RuntimeError(f"the harness imported from {mine} differs from the grading tree's ({', '.join(differ)})")


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
) -> list[SubmissionGrade]:
    """Grade each submission (a student checkout) with the tests in ``pristine``.

    ``work`` is an empty scratch folder; ``manifest`` (relative path -> sha256 of the handed-out
    edition) lets the grade report edited or extra files and skip untouched stubs; ``protect`` are
    folders no kata code may read (the reference); ``only`` limits grading to those kata folders.
    """
    pristine = pristine.resolve()
    preload(pristine)
    known = all_katas(pristine / "katas")
    katas = [k for k in known if only is None or k.folder in only]
    if only is not None and len(katas) != len(set(only)):
        unknown = sorted(set(only) - {k.folder for k in katas})
        raise ValueError(f"unknown kata(s) {', '.join(unknown)}; known: {', '.join(k.folder for k in known)}")
    submissions = [Path(s).resolve() for s in submissions]
    names = names or _names(submissions)
    work.mkdir(parents=True, exist_ok=True)
    impls = [work / f"impl-{number}" for number in range(len(submissions))]
    protected = tuple(_prefix(p) for p in protect if Path(p).exists())

    # the expected tests, collected with the handed-out stubs loaded (a test module may touch a class at
    # import) and no submission's code anywhere near
    collect = Job("collect", [k.folder for k in katas], pristine / "katas", work / "collect.json", work / "collect.log")
    jobs = [collect]
    planned: list[list[tuple[object, Job | KataGrade]]] = []
    for number, (submission, impl) in enumerate(zip(submissions, impls)):
        impl.mkdir()
        others = tuple(_prefix(p) for p in submissions + impls if p not in (submission, impl))
        row = []
        for kata in katas:
            ungraded = take_module(submission, impl, kata, manifest)
            if ungraded is None:
                job = Job("kata", [kata.folder], impl, work / f"result-{number}-{kata.folder}.json",
                          work / f"log-{number}-{kata.folder}.txt", deny_read=protected + others,
                          deny_write=(_prefix(pristine), _prefix(work)) + tuple(map(_prefix, submissions)))
                jobs.append(job)
            row.append((kata, ungraded or job))
        planned.append(row)

    run_jobs(jobs, limits, lambda job: child(job, pristine, limits))
    expected = expected_tests(collect)

    grades = []
    for number, submission in enumerate(submissions):
        graded = [entry if isinstance(entry, KataGrade) else score(kata, entry, expected) for kata, entry in planned[number]]
        grades.append(SubmissionGrade(
            submission=names[number], path=str(submission),
            score=sum(k.score for k in graded), max_score=sum(k.max_score for k in graded), katas=graded,
            ignored=ignored_files(submission, manifest, katas) if manifest else [],
            seconds=round(sum(k.seconds for k in graded), 3),
        ))
    return grades


def _names(paths: list[Path]) -> list[str]:
    names = [p.name or str(p) for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    return names


def _prefix(path) -> str:
    return os.path.realpath(path).rstrip(os.sep) + os.sep
