"""The kata job: one process (under bwrap, PID 1 of namespaces of its own) that runs one kata's tests
in-process and sends the harness's run report, with what it saw of tampering, to its watcher
(``pool``).

What runs before any kata code: the job's private folder (its scratch working directory and its copy
of the kata module), its limits, the snapshot and the audit hook (``sandbox``); collection loads no
kata code (the harness's proxy loads it at a test's first use). The result travels over a pipe that
only this process holds, framed with a secret its watcher gave it and that kata code cannot read
without the frames the audit hook refuses; anything else on that pipe is tampering.
"""

from __future__ import annotations

import base64
import functools
import json
import os
import resource
import signal
import sys
import tempfile
import traceback
from pathlib import Path
from sys import audit
from types import FunctionType

from .sandbox import SANDBOX_AREA, Evidence, drop_privileges, enter_job, install_audit, policy_for

DONE = 83  # a job's own "finished" exit status; 0 (what os._exit(0) gives) is never taken for success
PYTEST_ARGS = [
    "-p", "no:cacheprovider", "-p", "pytest_timeout", "-q", "--no-header", "-rN",
    # -s: kata output goes straight to the watcher, which keeps its head and tail (no capture files)
    "-s",
    # --tb=native: pytest's own traceback rendering costs ~0.1 s per failing test
    "--tb=native", "-o", "console_output_style=classic",
    "-W", "ignore::pytest.PytestConfigWarning", "-W", "ignore::pytest.PytestAssertRewriteWarning",
]
CHECKED_HELPERS = "katas.harness.checks"  # the test modules' assertion helpers: a checkpoint before each
REBASING = ("setattr", "delattr", "setitem", "delitem", "undo")  # pytest's monkeypatch, used by tests


def job_main(spec: dict, nonce: str, channel: int, isolated: bool, pristine: str, runtime: str) -> None:
    """Run the job's tests and send the result on ``channel``; never returns (exit status DONE when it
    finished). fds 0-2 are set up by the watcher; ``channel`` is the only other one open."""
    code = 70
    try:
        area = SANDBOX_AREA if isolated else spec["area"]
        if isolated:
            enter_job(spec["disk_mb"])
        else:
            os.setsid()  # its own process group, which the watcher kills at the end
        impl = _prepare(Path(area), spec, pristine)
        if isolated:
            drop_privileges()
        _set_limits(spec, isolated)
        _send(channel, b"ready\n")
        exit_code, payload = _run(spec, channel, impl, area, pristine, runtime)
        sys.stdout.flush()
        sys.stderr.flush()
        body = json.dumps(payload).encode()
        _send(channel, f"result {len(body)} {nonce}\n".encode() + body)
        code = DONE
    except BaseException:
        try:
            traceback.print_exc()
            sys.stderr.flush()
        except BaseException:
            pass
        code = 71
    finally:
        os._exit(code)


def _prepare(area: Path, spec: dict, pristine: str) -> str:
    """The job's folder: work/ (its working directory) and impl/NN_topic/<module>.py, both writable."""
    work = area / "work"
    work.mkdir(parents=True, exist_ok=True)
    os.chdir(work)
    os.environ.update(TMPDIR=str(area), HOME=str(area), PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    for name in ("KATA_IMPL", "PYTEST_ADDOPTS", "PYTHONSTARTUP"):
        os.environ.pop(name, None)
    tempfile.tempdir = str(area)
    if spec["kind"] != "kata":
        return str(Path(pristine) / "katas")  # collecting: the handed-out stubs (collection runs no kata code)
    folder = area / "impl" / spec["folder"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{spec['module']}.py").write_bytes(base64.b64decode(spec["source"]))
    return str(area / "impl")


def _set_limits(spec: dict, isolated: bool) -> None:
    """No core files, and (without a private tmpfs) a cap per file; memory, processes and disk are
    watched from outside (an address-space limit would break CUDA, which reserves huge virtual
    ranges), CPU time is set once the tests are collected (``Recorder``)."""
    if spec["kind"] != "kata":
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if not isolated:  # no private tmpfs: a cap per file instead (writes past it fail, nothing dies)
        size = spec["disk_mb"] << 20
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def _run(spec: dict, channel: int, impl: str, area: str, pristine: str, runtime: str) -> tuple[int, dict]:
    import pytest
    import torch

    torch.set_num_threads(1)
    kata = spec["kind"] == "kata"
    evidence = Evidence()
    recorder = Recorder(spec, channel)
    if kata:
        _route_monkeypatch()
        evidence.snapshot.take_core()
        install_audit(policy_for(area, pristine, runtime, spec.get("deny_read", ())), evidence, job_main.__code__)
    args = [*(str(Path(pristine) / "katas" / folder) for folder in spec["folders"]),
            "--impl", impl, "--rootdir", pristine, "-c", str(Path(pristine) / "pyproject.toml"), *PYTEST_ARGS]
    if spec.get("test_timeout_s") is not None:
        args += ["-o", f"timeout={spec['test_timeout_s']:g}"]
    if not kata:
        args.append("--collect-only")
    exit_code = int(pytest.main(args, plugins=[recorder]))
    if kata:
        evidence.checkpoint("at the end of the run")
    report = recorder.kept[0].to_json() if recorder.kept else None
    return exit_code, {"exit": exit_code, "report": report, "violations": list(evidence.violations),
                       "outcomes": evidence.outcomes}


def _send(channel: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(channel, view):]


class Recorder:
    """A pytest plugin beside the harness's: it tells the watcher how far the run is, marks the
    checkpoints, and keeps the harness's run report. Its state lives in containers made before the
    snapshot, so that the snapshot can hold them fixed."""

    def __init__(self, spec: dict, channel: int):
        self.spec = spec
        self.kata = spec["kind"] == "kata"
        self.channel = channel
        self.skipped = [""]  # the test whose setup skipped: it ran no kata code, nothing to check after it
        self.kept: list = []  # the harness's run report, at the end

    def pytest_collection_finish(self, session) -> None:
        _send(self.channel, f"collected {len(session.items)}\n".encode())
        if self.kata:
            from .pool import budget

            cpu = max(1, int(budget(self.spec, len(session.items))[1]))
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))  # the hard limit: SIGKILL, even as PID 1
            _check_before_helpers(session)
            audit("classroom.baseline", session, self)

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        _send(self.channel, b"start\n")

    def pytest_runtest_logreport(self, report) -> None:
        if not self.kata:
            return
        audit("classroom.report", report.nodeid, report.when, report.outcome)
        if report.when == "setup" and report.skipped:
            self.skipped[0] = report.nodeid
        elif report.when == "call":
            audit("classroom.checkpoint", f"after {report.nodeid.split('::')[-1]}", False)

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        _send(self.channel, b"end\n")
        if self.kata and self.skipped[0] != nodeid:
            audit("classroom.checkpoint", f"after the teardown of {nodeid.split('::')[-1]}")

    def pytest_sessionfinish(self, session) -> None:
        from katas.harness.plugin import run_of

        self.kept.append(run_of(session.config).report)


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

