"""The kata job: one process (in the sandbox, PID 1 of namespaces of its own) that runs one kata's tests
in-process and sends the harness's run report, with what it saw of tampering, to its watcher.

What runs before any kata code: the job joins its memory cgroup, takes its private folder (its
working directory and its copy of the kata module), its limits, the snapshot and the audit hook
(``tamper``, ``audit``); collection loads no kata code (the harness's proxy loads it at a test's first
use). Everything it says on its channel is signed with a secret its watcher gave it (``protocol``).
"""

from __future__ import annotations

import functools
import os
import resource
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from sys import audit
from types import FunctionType

from . import judging
from .audit import install_audit, policy_for, scratch_mb
from .isolation import Isolation
from .memory import JobMemory
from .protocol import Exit, frame, line
from .spec import JobSpec, PlannedTest
from .tamper import Evidence

PYTEST_ARGS = [
    "-p", "pytest_timeout", "-q", "--no-header", "-rN",
    # -s: kata output goes straight to the watcher, which keeps its head and tail (no capture files)
    "-s",
    # --tb=native: pytest's own traceback rendering costs ~0.1 s per failing test
    "--tb=native", "-o", "console_output_style=classic",
    "-W", "ignore::pytest.PytestConfigWarning", "-W", "ignore::pytest.PytestAssertRewriteWarning",
]
CHECKED_HELPERS = "katas.harness.checks"  # the test modules' assertion helpers: a checkpoint before each
REBASING = ("setattr", "delattr", "setitem", "delitem", "undo")  # pytest's monkeypatch, used by tests


def job_main(spec: JobSpec, secret: bytes, channel: int, isolation: Isolation, config: dict,
             memory: JobMemory) -> None:
    """Run the job's tests and send the result on ``channel``; never returns. fds 0-2 are set up by
    the watcher; ``channel`` is the only other one open."""
    code = Exit.SETUP_FAILED
    try:
        memory.join()
        isolation.enter(spec.area, spec.limits.disk_mb)
        area = isolation.area(spec.area)
        impl = _prepare(Path(area), spec, config["pristine"])
        isolation.lock_down()
        _set_limits(spec, isolation)
        code = Exit.CRASHED
        payload = _run(spec, channel, secret, impl, area, config, isolation)
        sys.stdout.flush()
        sys.stderr.flush()
        _send(channel, frame(secret, payload))
        code = Exit.DONE
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
    finally:
        os._exit(code)


def _prepare(area: Path, spec: JobSpec, pristine: str) -> str:
    """The job's folder: work/ (its working directory) and impl/NN_topic/<module>.py, both writable."""
    work = area / "work"
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    os.environ.update(TMPDIR=str(area), HOME=str(area), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    for name in ("KATA_IMPL", "PYTEST_ADDOPTS", "PYTHONSTARTUP"):
        os.environ.pop(name, None)
    tempfile.tempdir = str(area)
    if not spec.runs_kata_code:
        return str(Path(pristine) / "katas")  # collecting or judging: the handed-out stubs, never run
    folder = area / "impl" / spec.folders[0]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{spec.module}.py").write_bytes(spec.source)
    return str(area / "impl")


def _set_limits(spec: JobSpec, isolation: Isolation) -> None:
    """No core files, and (without a private tmpfs) a cap per file (pytest runs with -s: no capture
    file of its own grows with kata output); memory, processes and disk are
    watched from outside (an address-space limit would break CUDA, which reserves huge virtual
    ranges); CPU time is set once the tests are collected (``Recorder``)."""
    if not spec.runs_kata_code:
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not isolation.isolated:  # no private tmpfs: a cap per file instead, which ends the job
        size = spec.limits.disk_mb << 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # Python ignores it from the start


def _run(spec: JobSpec, channel: int, secret: bytes, impl: str, area: str, config: dict,
         isolation: Isolation) -> dict:
    import torch

    from katas.harness.runner import run_in_process

    torch.set_num_threads(1)
    kata = spec.kind == "kata"
    pristine = Path(config["pristine"])
    evidence = Evidence()
    if spec.kind == "judge":
        return judging.judge(spec, pristine / "katas")
    if spec.kind == "kata":
        _route_monkeypatch()
        evidence.snapshot.take_core()
    if spec.runs_kata_code:
        install_audit(policy_for(area, str(pristine), config["runtime"], spec.deny_read, isolation.isolated,
                                 spec.limits.disk_mb), evidence, job_main.__code__)
    if spec.kind == "work":
        payload = judging.work(spec, impl, pristine / "katas", lambda *words: _send(channel, line(secret, *words)))
        _clear_scratch(evidence, spec.limits.disk_mb)
        return {**payload, "violations": list(evidence.violations)}
    recorder = Recorder(spec, channel, secret)
    args = ["-c", str(pristine / "pyproject.toml"), *PYTEST_ARGS]
    if spec.limits.test_timeout_s is not None:
        args += ["-o", f"timeout={spec.limits.test_timeout_s:g}"]
    if not kata:
        args.append("--collect-only")
    report = run_in_process([pristine / "katas" / folder for folder in spec.folders], impl, [recorder], args,
                            rootdir=pristine)
    if not kata:
        return {"exit": recorder.exit_status[0], "report": report.to_json(), "plan": recorder.plan}
    evidence.checkpoint("at the end of the run")
    _clear_scratch(evidence, spec.limits.disk_mb)
    return {"exit": recorder.exit_status[0], "report": report.to_json(), "violations": list(evidence.violations),
            "outcomes": evidence.outcomes}


def _clear_scratch(evidence: Evidence, disk_mb: int) -> None:
    """Without the sandbox: the files the job wrote in /tmp count towards its scratch space, and go."""
    if scratch_mb(evidence.scratch_files) >= disk_mb * 0.98:
        evidence.note(f"filled its scratch space: wrote more than {disk_mb} MiB (its working directory, next to "
                      "its module and /tmp)")
    for path in evidence.scratch_files:
        try:
            os.unlink(path)
        except OSError:
            pass


def _send(channel: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(channel, view):]


class Recorder:
    """A pytest plugin beside the harness's: it plans the tests (collect jobs), says on the channel
    how far the run is (signed), marks the checkpoints, and keeps pytest's exit status. Its state
    lives in containers made before the snapshot, so that the snapshot can hold them fixed."""

    def __init__(self, spec: JobSpec, channel: int, secret: bytes):
        self.spec = spec
        self.kata = spec.kind == "kata"
        self.channel = channel
        self.secret = secret
        self.index: dict[str, int] = {}  # nodeid -> its place in the plan
        self.plan: list[dict] = []  # collect jobs: every test, as planned
        self.skipped = [""]  # the test whose setup skipped: it ran no kata code, nothing to check after it
        self.exit_status = [-1]  # pytest's, at the end

    @staticmethod
    def planned(item) -> PlannedTest:
        from _pytest.skipping import evaluate_skip_marks

        from katas.harness.timeouts import limit_of

        marker = item.get_closest_marker("checks")
        function = marker.args[0] if marker and marker.args else ""
        return PlannedTest(item.nodeid, function, limit_of(item), evaluate_skip_marks(item) is None)

    def pytest_collection_finish(self, session) -> None:
        self.index.update((item.nodeid, number) for number, item in enumerate(session.items))
        if not self.kata:
            self.plan += [vars(self.planned(item)) for item in session.items]
        _send(self.channel, line(self.secret, "collected", len(session.items)))
        if self.kata:
            cpu = max(1, int(self.spec.cpu_s))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))  # the hard limit: SIGKILL, even as PID 1
            _check_before_helpers(session)
            audit("classroom.baseline", session, self)

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        _send(self.channel, line(self.secret, "start", self.index[nodeid]))

    def pytest_runtest_logreport(self, report) -> None:
        if not self.kata:
            return
        audit("classroom.report", report.nodeid, report.when, report.outcome)
        if report.when == "setup" and report.skipped:
            self.skipped[0] = report.nodeid
        elif report.when == "call":
            audit("classroom.checkpoint", f"after {report.nodeid.split('::')[-1]}", False)

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        _send(self.channel, line(self.secret, "end", self.index[nodeid]))
        if self.kata and self.skipped[0] != nodeid:
            audit("classroom.checkpoint", f"after the teardown of {nodeid.split('::')[-1]}")

    def pytest_sessionfinish(self, session, exitstatus) -> None:
        self.exit_status[0] = int(exitstatus)


def _check_before_helpers(session) -> None:
    """Each test module's assertion helpers (assert_tensor, fail, ...) first mark a checkpoint: a patch
    that kata code undoes before the test ends is still in place when the test compares values."""
    modules = {id(item.module): item.module for item in session.items if getattr(item, "module", None)}
    for module in modules.values():
        for name, value in list(vars(module).items()):
            if type(value) is FunctionType and value.__module__ == CHECKED_HELPERS and value.__name__ != "checked":
                setattr(module, name, _checked(value, name))


def _checked(helper, name: str):
    def checked(*args, **kwargs):
        __tracebackhide__ = True
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0].split("::")[-1]
        audit("classroom.checkpoint", f"at {name} in {test}", False)
        return helper(*args, **kwargs)

    checked.__module__, checked.__doc__ = helper.__module__, helper.__doc__
    return checked


def _route_monkeypatch() -> None:
    """pytest's monkeypatch (tests use it to rig torch for a test) tells the evidence what it changed."""
    from _pytest.monkeypatch import MonkeyPatch

    for name in REBASING:
        method = getattr(MonkeyPatch, name)
        if getattr(method, "__wrapped__", None) is None:
            setattr(MonkeyPatch, name, _rebasing(method, name))


def _rebasing(method, name: str):
    @functools.wraps(method)
    def rebasing(self, *args, **kwargs):
        audit("classroom.monkeypatch", name, False)
        try:
            return method(self, *args, **kwargs)
        finally:
            audit("classroom.monkeypatch", name, True)

    return rebasing
