"""Grading: every grader (``grade``, ``check``, the Classroom 50 autograder) goes through ``grade``.

A grading tree ("pristine") holds the handed-out katas (tests, harness, kata.json), conftest.py and
pyproject.toml, plus any hidden tests, and never the reference. A submission contributes only its
kata modules (``intake``), read once as bytes.

This process imports no torch and runs no kata code. It starts a grading run (``grader``): the
sandbox and, inside it, a zygote that imported torch once. A first job collects the pristine tests
with no kata code loaded: the plan, with each test's effective time limit and whether it runs here.
Then one job per (submission, kata), each in namespaces of its own (``isolation``), runs its kata's
tests and sends the harness's run report back (``job``). Each kata is scored on its own from that
report against the plan (``scoring``), after every process of the run is gone: one bad job zeroes
its kata, with the reason, and every submission gets its grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from katas.harness.clip import clip
from katas.harness.kata import all_katas

from .grader import GradingRun
from .grades import KataGrade, SubmissionGrade, zero
from .intake import ignored_files, take_module
from .protocol import JobResult
from .scoring import plan_of, score
from .spec import JobSpec, Limits


@dataclass(frozen=True)
class RunInfo:
    """How a grading run graded: said in every grade it writes."""

    isolation: str  # "sandbox" (bubblewrap), or "processes: <why not>"
    memory: str  # how each job's memory was counted
    limits: Limits


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
    # Without bwrap, the audit hook refuses these; with it, kata code cannot see them at all.
    deny = tuple(str(p) for p in [*protect, *submissions, work / "jobs"]
                 if Path(p).exists() and Path(p).resolve() != pristine)

    taken = [[(kata, take_module(submission, kata, manifest)) for kata in katas] for submission in submissions]
    plan, specs, results, why = {}, [], {}, "no test of this kata was collected from the grading tree"
    info = RunInfo("not started", "", limits)
    try:
        with GradingRun(pristine, work, limits.jobs, isolate) as run:
            info = RunInfo(run.isolation.name + (f": {run.isolation.why}" if run.isolation.why else ""),
                           run.memory_counted_by, limits)
            collect = JobSpec(id=0, kind="collect", folders=tuple(k.folder for k in katas), limits=limits,
                              area=str(work / "jobs" / "0"))
            plan = plan_of(run.run([collect])[0])
            for row in taken:
                for kata, module in row:
                    if isinstance(module, bytes) and kata.folder in plan:
                        number = len(specs) + 1
                        specs.append(JobSpec(id=number, kind="kata", folders=(kata.folder,), limits=limits,
                                             module=kata.module, source=module, tests=tuple(plan[kata.folder]),
                                             deny_read=deny, area=str(work / "jobs" / str(number))))
            results = run.run(specs)
    except RuntimeError as error:  # no sandbox, or no tests to grade with: every kata says why
        plan, specs, why = {}, [], clip(f"not graded: {error}")
    graded = iter(specs)
    grades = []
    for number, submission in enumerate(submissions):
        row = []
        for kata, module in taken[number]:
            if isinstance(module, KataGrade):
                row.append(module)
            elif kata.folder not in plan:
                row.append(zero(kata, why))
            else:
                spec = next(graded)
                row.append(_scored(kata, results[spec.id], plan[kata.folder]))
        grades.append(SubmissionGrade(
            submission=names[number], path=str(submission),
            score=sum(k.score for k in row), max_score=sum(k.max_score for k in row), katas=row,
            ignored=ignored_files(submission, manifest, katas) if manifest else [],
            seconds=round(sum(k.seconds for k in row), 3), isolated=info.isolation == "sandbox",
            isolation=info.isolation, memory=info.memory, limits=limits.to_json(),
        ))
    return grades


def _scored(kata, result: JobResult, planned) -> KataGrade:
    """The kata's grade; a result the grader cannot read zeroes this kata alone."""
    try:
        return score(kata, result, planned)
    except Exception as error:  # a grader bug or a result no check foresaw: never the whole run
        return zero(kata, clip(f"the grader could not score this kata's result ({type(error).__name__}: {error})"),
                    seconds=result.seconds, cpu_seconds=result.cpu_seconds, output=result.output)


def _names(paths: list[Path]) -> list[str]:
    names = [p.name or str(p) for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    return names
