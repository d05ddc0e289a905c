"""The grading core: every grader (``grade``, ``check``, the Classroom 50 autograder) goes through here.

A grading tree ("pristine") holds the handed-out katas (tests, harness, kata.json), conftest.py and
pyproject.toml, plus any hidden tests, and never the reference. A submission contributes only its
kata modules (``katas/NN_topic/<module>.py``), copied as regular files into a folder of their own
that the tests load with ``--impl FOLDER``.

The parent process imports torch, pytest and the harness once, then forks one child per (submission,
kata). Each child sets its limits (address space, CPU time, output size), forbids reading the
reference and other submissions, writing into the grading tree and starting processes, snapshots the
library functions the tests rely on, runs pytest in-process on that one kata and writes what it saw
to a result file. The parent kills a child that runs past its time, and scores from that file alone:
a function earns its points only when every test expected for it (collected from the pristine tests,
without any student code loaded) ran and passed. Anything else is zero, with the reason.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import signal
import stat
import sys
import time
import traceback
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path

MAX_MODULE_BYTES = 1 << 20
SKIP_DIRS = {".git", "__pycache__", ".venv", "venv", ".tox", ".pytest_cache", "node_modules", ".mypy_cache"}


@dataclass(frozen=True)
class Limits:
    """Per kata. CPU time is the real limit (a busy grading machine does not change it); the wall
    clock is a backstop for code that sleeps or blocks."""

    timeout_s: float = 300.0  # wall clock for one kata's whole test run
    cpu_s: float = 60.0  # CPU time for one kata's whole test run (RLIMIT_CPU)
    test_timeout_s: float = 0.0  # per test (pytest-timeout); 0: off, the kata limits above decide
    memory_mb: int = 3072  # address space a kata may add on top of the grader's own
    output_kb: int = 1024  # stdout + stderr + files one kata may write
    jobs: int = os.cpu_count() or 1


@dataclass
class FunctionGrade:
    function: str
    points: int
    score: int
    status: str  # done, failing, not started, broken, zero
    passed: int  # tests that ran and passed
    expected: int  # tests that must pass
    detail: str = ""


@dataclass
class KataGrade:
    kata: str
    title: str
    score: int
    max_score: int
    reason: str  # why the whole kata scored zero; "" when graded normally
    functions: list[FunctionGrade]
    seconds: float = 0.0  # wall clock of the kata's process
    cpu_seconds: float = 0.0


@dataclass
class SubmissionGrade:
    submission: str
    path: str
    score: int
    max_score: int
    katas: list[KataGrade]
    ignored: list[str] = field(default_factory=list)  # student files the grade did not use
    seconds: float = 0.0

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class _Job:
    kind: str  # "collect" or "kata"
    folders: list[str]  # kata folders this job runs
    impl: Path  # --impl folder
    result: Path
    log: Path
    deny_read: tuple[str, ...] = ()
    deny_write: tuple[str, ...] = ()
    # filled in by the parent
    status: str = ""  # "" = finished normally, else what went wrong
    seconds: float = 0.0
    cpu_seconds: float = 0.0


# --------------------------------------------------------------------------------------------------
# The parent: build the per-submission module folders, run the jobs, score from their result files.


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def manifest_of(root: Path) -> dict[str, str]:
    """relative path -> sha256 of every file of an edition (what a student was handed)."""
    return {
        p.relative_to(root).as_posix(): sha256(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not SKIP_DIRS.intersection(p.relative_to(root).parts)
    }


def import_harness(pristine: Path):
    """Import katas.harness from the grading tree (not from wherever this code was started)."""
    root = str(pristine.resolve())
    current = sys.modules.get("katas")
    if current is not None and Path(getattr(current, "__path__", [""])[0]).resolve().parent != Path(root):
        for name in [n for n in sys.modules if n == "katas" or n.startswith("katas.")]:
            del sys.modules[name]
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    import _pytest.skipping  # noqa: F401  what the children use, imported once here
    import pytest  # noqa: F401
    import pytest_timeout  # noqa: F401
    import torch  # noqa: F401

    import katas.harness.plugin  # noqa: F401
    from katas.harness import kata

    return kata


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
    started = time.monotonic()
    pristine = pristine.resolve()
    kata_meta = import_harness(pristine)
    katas = [k for k in kata_meta.all_katas(pristine / "katas") if only is None or k.folder in only]
    if only is not None and len(katas) != len(set(only)):
        unknown = sorted(set(only) - {k.folder for k in katas})
        raise ValueError(f"unknown kata(s) {', '.join(unknown)}; known: "
                         f"{', '.join(k.folder for k in kata_meta.all_katas(pristine / 'katas'))}")
    submissions = [Path(s).resolve() for s in submissions]
    names = names or _names(submissions)
    work.mkdir(parents=True, exist_ok=True)
    roots = [str(s) for s in submissions]
    protected = tuple(_prefix(p) for p in protect if Path(p).exists())

    # the expected tests, collected with the handed-out stubs loaded (a test module may touch a class at
    # import) and no submission's code anywhere near
    collect = _Job("collect", [k.folder for k in katas], pristine / "katas", work / "collect.json",
                   work / "collect.log")
    jobs: list[_Job] = [collect]
    planned: list[list[tuple[object, _Job | KataGrade]]] = []
    for number, submission in enumerate(submissions):
        impl = work / f"impl-{number}"
        impl.mkdir()
        others = tuple(_prefix(r) for r in roots if r != str(submission)) + tuple(
            _prefix(work / f"impl-{n}") for n in range(len(submissions)) if n != number
        )
        row = []
        for kata in katas:
            zero = _take_module(submission, impl, kata, manifest)
            if zero is not None:
                row.append((kata, zero))
                continue
            job = _Job(
                "kata", [kata.folder], impl, work / f"result-{number}-{kata.folder}.json",
                work / f"log-{number}-{kata.folder}.txt",
                deny_read=protected + others,
                deny_write=(_prefix(pristine), _prefix(work)) + tuple(_prefix(r) for r in roots),
            )
            jobs.append(job)
            row.append((kata, job))
        planned.append(row)

    _run(jobs, pristine, limits)
    expected = _expected(collect)

    grades = []
    for number, submission in enumerate(submissions):
        katas_graded = [
            entry if isinstance(entry, KataGrade) else _score(kata, entry, expected, limits)
            for kata, entry in planned[number]
        ]
        grades.append(SubmissionGrade(
            submission=names[number], path=str(submission),
            score=sum(k.score for k in katas_graded), max_score=sum(k.max_score for k in katas_graded),
            katas=katas_graded, ignored=ignored_files(submission, manifest, katas) if manifest else [],
        ))
    elapsed = time.monotonic() - started
    for g in grades:
        g.seconds = round(elapsed / max(len(grades), 1), 3)
    return grades


def _names(paths: list[Path]) -> list[str]:
    names = [p.name or str(p) for p in paths]
    if len(set(names)) < len(names):
        names = [str(p) for p in paths]
    return names


def _prefix(path) -> str:
    return os.path.realpath(path).rstrip(os.sep) + os.sep


def _zero(kata, reason: str, status: str = "zero", job: _Job | None = None) -> KataGrade:
    return KataGrade(
        kata.folder, kata.title, 0, sum(kata.points.values()), reason,
        [FunctionGrade(f, p, 0, status, 0, 0) for f, p in kata.points.items()],
        *((job.seconds, job.cpu_seconds) if job else ()),
    )


def _take_module(submission: Path, impl: Path, kata, manifest: dict | None) -> KataGrade | None:
    """Copy the submission's kata module into its --impl folder; a KataGrade when it cannot be graded."""
    relative = f"katas/{kata.folder}/{kata.module}.py"
    source = submission / relative
    try:
        info = os.lstat(source)
    except FileNotFoundError:
        return _zero(kata, f"{relative} is missing from the submission")
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        return _zero(kata, f"{relative} is a symlink or not a regular file: only regular files are graded")
    if info.st_size > MAX_MODULE_BYTES:
        return _zero(kata, f"{relative} is larger than {MAX_MODULE_BYTES >> 20} MiB")
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as handle:
        code = handle.read(MAX_MODULE_BYTES + 1)
    if manifest and manifest.get(relative) == hashlib.sha256(code).hexdigest() and not kata.ships_with_bug:
        return _zero(kata, "", status="not started")  # the untouched stub: nothing to run
    (impl / kata.folder).mkdir()
    (impl / kata.folder / f"{kata.module}.py").write_bytes(code)
    return None


def ignored_files(submission: Path, manifest: dict[str, str], katas) -> list[str]:
    """Files of the submission that differ from the handout and were not used for the grade."""
    modules = {f"katas/{k.folder}/{k.module}.py" for k in katas}
    notes = []
    for relative, digest in manifest.items():
        if relative in modules:
            continue
        path = submission / relative
        if path.is_symlink() or (path.exists() and not path.is_file()):
            notes.append(f"{relative}: replaced by a link or folder (ignored: graded with the handed-out copy)")
        elif not path.exists():
            notes.append(f"{relative}: deleted (ignored: graded with the handed-out copy)")
        elif sha256(path) != digest:
            notes.append(f"{relative}: edited (ignored: graded with the handed-out copy)")
    seen = 0
    for directory, subdirs, files in os.walk(submission):
        subdirs[:] = [d for d in subdirs if d not in SKIP_DIRS]
        for name in files:
            seen += 1
            if seen > 20000:
                return notes + ["(stopped looking for extra files after 20000)"]
            relative = Path(directory, name).relative_to(submission).as_posix()
            if relative in manifest or relative in modules:
                continue
            if name.endswith(".py") or name.endswith((".yml", ".yaml", ".toml", ".ini", ".cfg")):
                notes.append(f"{relative}: not in the handout (ignored)")
    return notes


def _expected(collect: _Job) -> dict[str, dict]:
    if collect.status:
        raise RuntimeError(f"collecting the pristine tests failed ({collect.status}); see {collect.log}:\n"
                           + _tail(collect.log))
    data = json.loads(collect.result.read_text())
    if data.get("exit") not in (0, 5):
        raise RuntimeError(f"collecting the pristine tests failed (pytest exit {data.get('exit')}):\n"
                           + _tail(collect.log))
    return data["tests"]


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_bytes()[-size:].decode(errors="replace")
    except OSError:
        return ""


def _score(kata, job: _Job, expected: dict[str, dict], limits: Limits) -> KataGrade:
    if job.status:
        return _zero(kata, job.status, job=job)
    try:
        data = json.loads(job.result.read_text())
        tests, violations = data["tests"], data["violations"]
        assert isinstance(tests, dict) and isinstance(violations, list)
    except Exception:
        return _zero(kata, "the kata's process left no readable result (it may have exited early)", job=job)
    if data.get("exit") not in (0, 1, 5):
        why = {2: "interrupted (KeyboardInterrupt, or a test session stopped by kata code)",
               3: "internal error (kata code broke pytest itself)", 4: "usage error"}.get(data.get("exit"), "")
        return _zero(kata, f"the test run stopped early (pytest exit status {data.get('exit')}: {why})", job=job)
    if violations:
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        return _zero(kata, str(violations[0])[:500] + more, job=job)
    functions = []
    broken = ""
    for function, points in kata.points.items():
        mine = {n: e for n, e in expected.items() if e["kata"] == kata.folder and e["function"] == function}
        needed = [n for n, e in mine.items() if not e["skip"]]
        ran = [tests.get(n) or {"outcome": "not run", "status": "", "detail": ""} for n in needed]
        passed = sum(1 for r in ran if r.get("outcome") == "passed")
        statuses = [r.get("status") for r in ran if r.get("outcome") != "passed"]
        if needed and passed == len(needed):
            functions.append(FunctionGrade(function, points, points, "done", passed, len(needed)))
            continue
        if not needed:
            status, detail = "zero", "no test of this function can run on this machine"
        elif "broken" in statuses:
            status = "broken"
            detail = next(r.get("detail", "") for r in ran if r.get("status") == "broken")
            broken = broken or detail
        elif statuses and all(s == "not started" for s in statuses) and passed == 0:
            status, detail = "not started", ""
        else:
            status = "failing"
            failed = next((r for r in ran if r.get("outcome") != "passed"), {})
            detail = failed.get("detail") or f"test outcome: {failed.get('outcome', 'not run')}"
        functions.append(FunctionGrade(function, points, 0, status, passed, len(needed), detail[:800]))
    score = sum(f.score for f in functions)
    return KataGrade(kata.folder, kata.title, score, sum(kata.points.values()),
                     f"broken: {broken}" if broken else "", functions, job.seconds, job.cpu_seconds)


def _run(jobs: list[_Job], pristine: Path, limits: Limits) -> None:
    """Fork the jobs, at most limits.jobs at a time; fill in each job's status and seconds."""
    pending = list(jobs)
    running: dict[int, tuple[_Job, float, float]] = {}
    while pending or running:
        while pending and len(running) < max(1, limits.jobs):
            job = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _child(job, pristine, limits)  # never returns
            start = time.monotonic()
            timeout = limits.timeout_s if job.kind == "kata" else max(limits.timeout_s, 300.0)
            running[pid] = (job, start, start + timeout)
        finished = False
        for pid, (job, start, deadline) in list(running.items()):
            done, wait_status, usage = os.wait4(pid, os.WNOHANG)
            if done == 0 and time.monotonic() > deadline:
                _kill_group(pid)
                _, wait_status, usage = os.wait4(pid, 0)
                job.status = f"timed out: still running after {deadline - start:.0f} s (sleeping or blocked?)"
                done = pid
            elif done == 0:
                continue
            else:
                job.status = _exit_reason(wait_status, limits)
            _kill_group(pid)  # anything it left behind
            job.seconds = round(time.monotonic() - start, 3)
            job.cpu_seconds = round(usage.ru_utime + usage.ru_stime, 3)
            del running[pid]
            finished = True
        if not finished:
            time.sleep(0.005)


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def _exit_reason(wait_status: int, limits: Limits) -> str:
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        if number == signal.SIGXFSZ:
            return f"wrote more than {limits.output_kb} KiB of output (printing in a loop?)"
        if number == signal.SIGXCPU:
            return f"used more than {limits.cpu_s:g} s of CPU time (an endless loop, or far too slow)"
        if number == signal.SIGKILL:
            return "was killed (SIGKILL): most likely it ran out of memory"
        return f"crashed with {name}"
    code = os.WEXITSTATUS(wait_status)
    if code == _DONE:
        return ""
    return (f"the kata's process ended (exit status {code}) before its tests reported: kata code called "
            "os._exit(), or the process crashed")


_DONE = 83  # the child's own "finished" status; 0 (what os._exit(0) gives) is never taken for success


# --------------------------------------------------------------------------------------------------
# The child: limits, guards, pytest in-process, a result file. Never returns.


def _child(job: _Job, pristine: Path, limits: Limits) -> None:
    code = 70
    try:
        os.setpgrp()
        out = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        result = os.open(job.result, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        import resource

        if job.kind == "kata":
            used = _address_space()
            memory = used + limits.memory_mb * (1 << 20)
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            cpu = max(1, int(limits.cpu_s))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
            size = limits.output_kb * 1024
            resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
            # Python ignores SIGXFSZ (writes would just fail); let the limit end the process, visibly
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            signal.signal(signal.SIGXCPU, signal.SIG_DFL)
        os.chdir(pristine)
        # the collect job (no kata code) leaves the rewritten test modules' bytecode for the katas to reuse
        sys.dont_write_bytecode = job.kind == "kata"
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        os.environ.pop("KATA_IMPL", None)
        os.environ.pop("PYTEST_ADDOPTS", None)
        import pytest
        import torch

        torch.set_num_threads(1)
        recorder = _Recorder(job, limits)
        if job.kind == "kata":
            recorder.snapshot.take_core()
            _install_audit(job, recorder.violations)
        args = [
            *(f"katas/{folder}" for folder in job.folders),
            "--impl", str(job.impl), "--rootdir", str(pristine), "-c", str(pristine / "pyproject.toml"),
            # --tb=native: pytest's own traceback rendering costs ~0.1 s per failing test
            "-p", "no:cacheprovider", "-p", "pytest_timeout", "-q", "--no-header", "-rN", "--tb=native",
            "-o", f"timeout={limits.test_timeout_s:g}", "-o", "console_output_style=classic",
            "-W", "ignore::pytest.PytestConfigWarning", "-W", "ignore::pytest.PytestAssertRewriteWarning",
        ]
        if job.kind == "collect":
            args.append("--collect-only")
        exit_code = pytest.main(args, plugins=[recorder])
        payload = recorder.payload(int(exit_code))
        os.write(result, json.dumps(payload).encode())
        os.close(result)
        code = _DONE
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
        code = 71
    finally:
        os._exit(code)


def _address_space() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 2 << 30


def _install_audit(job: _Job, violations: list) -> None:
    """Refuse, and record, reads of protected folders, writes into the grading tree, new processes and
    network use. Audit hooks cannot be removed; what they cannot see (ctypes, raw syscalls) stays open."""
    realpath, fspath, append = os.path.realpath, os.fspath, violations.append
    deny_read, deny_write = job.deny_read, job.deny_write
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    processes = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                 "os.forkpty", "pty.spawn", "os.startfile"}

    def refuse(reason: str) -> None:
        append(reason)
        raise PermissionError(f"not allowed while grading: {reason}")

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & writing)
        elif event in ("os.listdir", "os.scandir"):
            path, write = args[0], False
        elif event in processes:
            refuse(f"tried to start a process ({event})")
            return
        elif event in ("socket.connect", "socket.bind", "socket.getaddrinfo"):
            refuse(f"tried to use the network ({event})")
            return
        else:
            return
        if path is None or isinstance(path, int):
            return
        try:
            real = realpath(fspath(path))
        except Exception:
            return
        real = real if isinstance(real, str) else real.decode(errors="replace")
        folder = real.rstrip("/") + "/"
        if any(folder.startswith(p) for p in deny_read):
            refuse(f"tried to read {real}, outside what a kata may read (the reference solutions or "
                   "another submission)")
        if write and any(folder.startswith(p) for p in deny_write):
            refuse(f"tried to write {real} (the grading tree or a submission)")

    sys.addaudithook(hook)


class _Snapshot:
    """Identity of the functions and attributes the tests trust, to notice monkeypatching."""

    # set by the interpreter, not by kata code: the warnings module, and copyreg when a tensor is pickled
    _IGNORED = {"__warningregistry__", "__slotnames__"}

    def __init__(self) -> None:
        self.namespaces: list[tuple[str, object, dict, bool]] = []  # label, live dict, copy, additions count
        self.codes: list[tuple[str, object, object]] = []
        self.containers: list[tuple[str, object, object]] = []

    def add(self, label: str, namespace, is_class: bool, deep: bool = False, containers: bool = False) -> None:
        live = namespace.__dict__ if is_class else vars(namespace)
        # a new attribute on a class can shadow an inherited one (Tensor.__eq__); pytest's own classes
        # legitimately gain flags at run time, so additions count for the torch classes only
        self.namespaces.append((label, live, dict(live), is_class and not deep))
        for name, value in list(live.items()):
            # only plain functions and classes: any other getattr could run kata code (KataModule)
            if deep and type(value) is types.FunctionType:
                self.codes.append((f"{label}.{name}", value, value.__code__))
            if containers and type(value) is dict:
                self.containers.append((f"{label}.{name}", value, value.copy()))
            if deep and type(value) is type and value.__dict__.get("__module__") == live.get("__name__"):
                self.add(f"{label}.{name}", value, True, deep=True, containers=containers)

    def take_core(self) -> None:
        import builtins
        import math
        import operator

        import _pytest.outcomes
        import _pytest.python
        import _pytest.reports
        import _pytest.runner
        import pluggy._hooks
        import pluggy._manager
        import pytest
        import torch
        import torch.nn.functional

        for label, module in [
            ("builtins", builtins), ("math", math), ("operator", operator), ("os", os), ("os.path", os.path),
            ("torch", torch), ("torch.nn.functional", torch.nn.functional), ("torch.testing", torch.testing),
            ("torch.linalg", torch.linalg), ("torch.special", torch.special), ("torch.autograd", torch.autograd),
        ]:
            self.add(label, module, False)
        for name in ("torch.func", "torch.distributions", "torch.optim", "torch.autograd.forward_ad",
                     "torch.nn.utils.parametrize", "torch.nn.init", "numpy"):
            if name in sys.modules:
                self.add(name, sys.modules[name], False)
        tensor_base = getattr(torch._C, "TensorBase", None) or getattr(torch._C, "_TensorBase")
        for label, cls in [("torch.Tensor", torch.Tensor), ("torch._C.TensorBase", tensor_base),
                           ("torch.nn.Module", torch.nn.Module), ("torch.nn.Parameter", torch.nn.Parameter)]:
            self.add(label, cls, True)
        for label, module in [("pytest", pytest), ("_pytest.runner", _pytest.runner),
                              ("_pytest.reports", _pytest.reports), ("_pytest.outcomes", _pytest.outcomes),
                              ("_pytest.python", _pytest.python), ("pluggy._hooks", pluggy._hooks),
                              ("pluggy._manager", pluggy._manager),
                              ("classroom.core", sys.modules[__name__])]:
            self.add(label, module, False, deep=True)
        for name in [n for n in sys.modules if n.startswith("katas.harness")]:
            self.add(name, sys.modules[name], False, deep=True, containers=True)

    def changed(self) -> list[str]:
        # identity only (never ==, which kata code could override), in C loops: this runs after every test
        found = []
        for label, live, saved, strict in self.namespaces:
            if not all(map(operator.is_, map(live.get, saved), saved.values())):
                found += [f"{label}.{name}" for name, value in saved.items()
                          if name not in self._IGNORED and live.get(name, _Snapshot) is not value]
            if strict and len(live) != len(saved):
                found += [f"{label}.{name}" for name in live if name not in saved and name not in self._IGNORED]
        if self.codes and not all(map(operator.is_, map(_code_of, self._functions), self._codes)):
            found += [label for label, function, code in self.codes if function.__code__ is not code]
        for label, live, copy in self.containers:
            if len(live) != len(copy) or not all(map(operator.is_, map(live.get, copy), copy.values())):
                found.append(label)
        return found

    @property
    def _functions(self) -> list:
        return [function for _, function, _ in self.codes]

    @property
    def _codes(self) -> list:
        return [code for _, _, code in self.codes]


def _code_of(function):
    return function.__code__


class _Recorder:
    """A pytest plugin that records, per test, whether it ran and passed; and any tampering seen."""

    def __init__(self, job: _Job, limits: Limits):
        self.job = job
        self.limits = limits
        self.tests: dict[str, dict] = {}
        self.violations: list[str] = []
        self.snapshot = _Snapshot()

    def pytest_collection_finish(self, session) -> None:
        from _pytest.skipping import evaluate_skip_marks

        from katas.harness.kata import kata_of

        modules = {}
        for item in session.items:
            kata = kata_of(item.path)
            marks = list(item.iter_markers("checks"))
            function = marks[0].args[0] if len(marks) == 1 and marks[0].args else None
            self.tests[item.nodeid] = {
                "kata": kata.folder if kata else None, "function": function,
                "skip": evaluate_skip_marks(item) is not None,
                "outcome": "not run", "status": "", "detail": "",
            }
            module = getattr(item, "module", None)
            if module is not None:
                modules[module.__name__] = module
        if self.job.kind == "kata":
            for name, module in modules.items():
                self.snapshot.add(f"test module {name}", module, False, deep=True, containers=True)

    def pytest_runtest_makereport(self, item, call) -> None:
        excinfo = call.excinfo
        if excinfo is None or self.job.kind != "kata":
            return
        text = str(excinfo.value)
        if excinfo.errisinstance(MemoryError) or "can't allocate memory" in text or "out of memory" in text:
            self._violation(f"ran out of memory (limit {self.limits.memory_mb} MiB) in {item.name}")
        elif excinfo.typename == "Failed" and text.startswith("Timeout"):
            self._violation(f"{item.name} ran longer than {self.limits.test_timeout_s:g} s "
                            "(an endless loop, or far too slow)")

    def pytest_runtest_logreport(self, report) -> None:
        entry = self.tests.get(report.nodeid)
        if entry is None:
            return
        status = getattr(report, "kata_status", "")
        if report.failed:
            if entry["outcome"] != "failed":
                entry["outcome"], entry["status"] = "failed", status or "failed"
                entry["detail"] = _detail(report)
                if status == "broken" and ("can't allocate memory" in entry["detail"] or "MemoryError" in entry["detail"]):
                    self._violation(f"ran out of memory (limit {self.limits.memory_mb} MiB) while importing")
                elif status == "broken" and "Timeout >" in entry["detail"]:
                    self._violation(f"importing the module ran longer than {self.limits.test_timeout_s:g} s "
                                    "(an endless loop at import?)")
        elif report.skipped and entry["outcome"] == "not run":
            entry["outcome"] = "skipped"
        elif report.when == "call" and report.passed and entry["outcome"] == "not run":
            entry["outcome"] = "passed"
        if report.when == "setup" and report.skipped:
            entry["ran"] = False
        if report.when == "teardown" and self.job.kind == "kata" and entry.pop("ran", True):
            self._check_tampering(f"after {report.nodeid.split('::')[-1]}")  # (a skipped test ran no kata code)

    def pytest_sessionfinish(self, session) -> None:
        if self.job.kind == "kata":
            self._check_tampering("at the end of the run")

    def _check_tampering(self, when: str) -> None:
        if any(v.startswith("tampered") for v in self.violations):
            return  # once is enough, and the first says what changed
        changed = self.snapshot.changed()
        if changed:
            self._violation(f"tampered with {', '.join(changed[:5])} ({when}): kata code may not change "
                            "the libraries or the tests that check it")

    def _violation(self, text: str) -> None:
        if text not in self.violations:
            self.violations.append(text)

    def payload(self, exit_code: int) -> dict:
        if self.job.kind == "kata":
            self._check_tampering("at the end of the run")
        return {"exit": exit_code, "tests": self.tests, "violations": list(self.violations)}


def _detail(report) -> str:
    """The failure's message (the harness's teaching text), without the traceback above it."""
    text = report.longreprtext if hasattr(report, "longreprtext") else str(report.longrepr)
    lines = [line for line in text.strip().splitlines() if line.strip()]
    frames = [i for i, line in enumerate(lines) if line.lstrip().startswith('File "')]
    if frames:  # a native traceback: skip to after the last frame and its source line
        rest = lines[frames[-1] + 1:]
        lines = rest[1:] if rest and rest[0].startswith((" ", "\t")) and len(rest) > 1 else rest
    return "\n".join(lines)[:800]
