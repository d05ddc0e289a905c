"""The grading child: one forked process runs one job's tests in-process under its limits and
guards, and writes the harness's run report, with any tampering seen, to its result file."""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback
from pathlib import Path

from katas.harness.status import Outcome

from .pool import DONE, Job, Limits
from .sandbox import Snapshot, install_audit

PYTEST_ARGS = [
    "-p", "no:cacheprovider", "-p", "pytest_timeout", "-q", "--no-header", "-rN",
    # --tb=native: pytest's own traceback rendering costs ~0.1 s per failing test
    "--tb=native", "-o", "console_output_style=classic",
    "-W", "ignore::pytest.PytestConfigWarning", "-W", "ignore::pytest.PytestAssertRewriteWarning",
]


def child(job: Job, pristine: Path, limits: Limits) -> None:
    """Run the job and leave its result file; never returns (exit status DONE when it finished)."""
    code = 70
    try:
        os.setpgrp()
        out = os.open(job.log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        result = os.open(job.result, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        if job.kind == "kata":
            _set_limits(limits)
        os.chdir(pristine)
        # the collect job (no kata code) leaves the rewritten test modules' bytecode for the katas to reuse
        sys.dont_write_bytecode = job.kind == "kata"
        os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
        os.environ.pop("KATA_IMPL", None)
        os.environ.pop("PYTEST_ADDOPTS", None)
        import pytest
        import torch

        torch.set_num_threads(1)
        recorder = Recorder(job, limits)
        if job.kind == "kata":
            recorder.snapshot.take_core()
            install_audit(job, recorder.violations)
        args = [
            *(f"katas/{folder}" for folder in job.folders),
            "--impl", str(job.impl), "--rootdir", str(pristine), "-c", str(pristine / "pyproject.toml"),
            "-o", f"timeout={limits.test_timeout_s:g}", *PYTEST_ARGS,
        ]
        if job.kind == "collect":
            args.append("--collect-only")
        exit_code = pytest.main(args, plugins=[recorder])
        os.write(result, json.dumps(recorder.payload(int(exit_code))).encode())
        os.close(result)
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


def _set_limits(limits: Limits) -> None:
    import resource

    memory = _address_space() + limits.memory_mb * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = max(1, int(limits.cpu_s))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    size = limits.output_kb * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    # Python ignores SIGXFSZ (writes would just fail); let the limit end the process, visibly
    signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)


def _address_space() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 2 << 30


class Recorder:
    """A pytest plugin beside the harness's: it keeps the harness's run report, and notes tampering
    and the limits a kata ran into."""

    def __init__(self, job: Job, limits: Limits):
        self.job = job
        self.limits = limits
        self.violations: list[str] = []
        self.snapshot = Snapshot()
        self.report = None
        self._skipped = ""  # the test whose setup skipped: it ran no kata code, nothing to check after it

    def pytest_collection_finish(self, session) -> None:
        if self.job.kind != "kata":
            return
        modules = {item.module.__name__: item.module for item in session.items if getattr(item, "module", None)}
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
        if self.job.kind != "kata":
            return
        if report.when == "setup" and report.skipped:
            self._skipped = report.nodeid
        if report.when == "teardown" and self._skipped != report.nodeid:
            self._check_tampering(f"after {report.nodeid.split('::')[-1]}")
        message = getattr(report, "kata_message", "")
        if getattr(report, "kata_outcome", None) is Outcome.BROKEN:
            if "can't allocate memory" in message or "MemoryError" in message:
                self._violation(f"ran out of memory (limit {self.limits.memory_mb} MiB) while importing")
            elif "Timeout >" in message:
                self._violation(f"importing the module ran longer than {self.limits.test_timeout_s:g} s "
                                "(an endless loop at import?)")

    def pytest_sessionfinish(self, session) -> None:
        from katas.harness.plugin import run_of

        self.report = run_of(session.config).report
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
        report = self.report.to_json() if self.report is not None else None
        return {"exit": exit_code, "report": report, "violations": list(self.violations)}
