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

import itertools
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from katas.harness.clip import clip
from katas.harness.kata import all_katas, judge_file
from katas.harness.status import Status

from .grader import GradingRun
from .grades import KataGrade, SubmissionGrade, zero
from .intake import ignored_files, take_module
from .protocol import JobResult
from .scoring import confirm, plan_of, score
from .spec import JobSpec, Limits, PlannedTest


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
    graded: dict[tuple[int, str], KataGrade] = {}  # (submission, kata folder) -> its grade
    why = "no test of this kata was collected from the grading tree"
    info = RunInfo("not started", "", limits)
    try:
        with GradingRun(pristine, work, limits.jobs, isolate) as run:
            info = RunInfo(run.isolation.name + (f": {run.isolation.why}" if run.isolation.why else ""),
                           run.memory_counted_by, limits)
            judged = Judging(run, pristine, work, limits, katas)
            plan = judged.collect()
            judged.draw()
            modules = {(number, kata.folder): (kata, module) for number, row in enumerate(taken)
                       for kata, module in row if isinstance(module, bytes) and kata.folder in plan}
            tests = {key: judged.job("kata", kata, module, tests=plan[kata.folder], deny=deny)
                     for key, (kata, module) in modules.items()}
            results = run.run(list(tests.values()))
            graded = {key: _scored(kata, results[tests[key].id], plan[kata.folder])
                      for key, (kata, _) in modules.items()}
            graded = judged.confirm(graded, modules, plan, deny)
    except RuntimeError as error:  # no sandbox, or no tests to grade with: every kata says why
        graded, why = {}, clip(f"not graded: {error}")
    grades = []
    for number, submission in enumerate(submissions):
        row = [module if isinstance(module, KataGrade) else graded.get((number, kata.folder)) or zero(kata, why)
               for kata, module in taken[number]]
        grades.append(SubmissionGrade(
            submission=names[number], path=str(submission),
            score=sum(k.score for k in row), max_score=sum(k.max_score for k in row), katas=row,
            ignored=ignored_files(submission, manifest, katas, known) if manifest else [],
            seconds=round(sum(k.seconds for k in row), 3), isolated=info.isolation == "sandbox",
            isolation=info.isolation, memory=info.memory, limits=limits.to_json(),
        ))
    return grades


class Judging:
    """The jobs of one grading run, numbered: collecting the plan, the judge's draws, the workers
    and the judge's checks."""

    def __init__(self, run: GradingRun, pristine: Path, work: Path, limits: Limits, katas):
        self.run, self.pristine, self.work, self.limits, self.katas = run, pristine, work, limits, katas
        self.seed = secrets.randbits(62)  # the judge's inputs: secret to this run
        self.numbers = itertools.count()
        self.drawn: dict[str, dict] = {}  # kata folder -> the judge's draw: its cases and their calls
        self.why_not: dict[str, str] = {}  # kata folder -> why the judge could not draw its cases

    def job(self, kind: str, kata, source: bytes = b"", *, tests=(), deny=(), data: bytes = b"", folders=None) -> JobSpec:
        number = next(self.numbers)
        return JobSpec(id=number, kind=kind, folders=folders or (kata.folder,), limits=self.limits,
                       module=kata.module if kata else "", source=source, tests=tuple(tests), deny_read=deny,
                       area=str(self.work / "jobs" / str(number)), seed=self.seed, data=data)

    def collect(self) -> dict[str, list[PlannedTest]]:
        spec = self.job("collect", None, folders=tuple(k.folder for k in self.katas))
        return plan_of(self.run.run([spec])[spec.id])

    def draw(self) -> None:
        """The judge draws each kata's calls (a kata without a judge file has none: its tests decide)."""
        specs = {k.folder: self.job("judge", k) for k in self.katas if judge_file(k, self.pristine / "katas").is_file()}
        results = self.run.run(list(specs.values()))
        for folder, spec in specs.items():
            result, payload = results[spec.id], results[spec.id].payload or {}
            if result.status or not isinstance(payload.get("calls"), list):
                self.why_not[folder] = f"the judge could not draw its cases ({result.status or 'no calls'})"
            self.drawn[folder] = payload

    def confirm(self, graded: dict, modules: dict, plan: dict, deny) -> dict:
        """Each grade, as the judge confirms it: a worker makes the judge's calls of every function
        whose tests pass (none for the others), and one judge job per kata checks what they sent."""
        workers = {}  # (submission, kata) -> (the worker, the cases it makes)
        for key, grade in graded.items():
            done = {f.function for f in grade.functions if f.status is Status.DONE}
            if grade.reason or not done or key[1] not in self.drawn or key[1] in self.why_not:
                continue
            kata, module = modules[key]
            drawn = self.drawn[key[1]]
            chosen = [n for n, (_, function) in enumerate(drawn["cases"]) if function in done]
            limit = max((t.timeout_s for t in plan[kata.folder]), default=0.0)
            calls = [PlannedTest(drawn["cases"][n][0], drawn["cases"][n][1], limit, True) for n in chosen]
            data = json.dumps([drawn["calls"][n] for n in chosen]).encode()
            workers[key] = (self.job("work", kata, module, tests=calls, deny=deny, data=data), chosen)
        worked = self.run.run([spec for spec, _ in workers.values()])
        checks = {}
        for folder in {key[1] for key in workers}:
            keys = [key for key in workers if key[1] == folder]
            sent = [{"cases": workers[key][1], "outputs": None if worked[workers[key][0].id].status
                     else (worked[workers[key][0].id].payload or {}).get("outputs")} for key in keys]
            checks[folder] = (keys, self.job("judge", modules[keys[0]][0], data=json.dumps({"submissions": sent}).encode()))
        checked = self.run.run([spec for _, spec in checks.values()])
        confirmed = dict(graded)
        for key, grade in graded.items():
            if key[1] not in self.drawn:
                continue  # no judge file: the tests decide
            kata = modules[key][0]
            verdicts, why = None, self.why_not.get(key[1], "")
            if key in workers:
                spec = workers[key][0]
                keys, judge = checks[key[1]]
                found = (checked[judge.id].payload or {}).get("verdicts")
                if worked[spec.id].status:
                    why = f"its worker {worked[spec.id].status}"
                elif checked[judge.id].status or not isinstance(found, list) or len(found) != len(keys):
                    why = f"the judge failed ({checked[judge.id].status or 'no verdicts'})"
                else:
                    verdicts = found[keys.index(key)]
            confirmed[key] = confirm(kata, grade, verdicts, why)
        return confirmed


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
