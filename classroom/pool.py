"""The processes that grading runs: one forked job per (submission, kata), at most ``Limits.jobs``
at a time, each killed with its whole process group when it runs past its time."""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


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


COLLECT_TIMEOUT_S = 300.0  # collecting the pristine tests runs no kata code, on a maybe busy machine


@dataclass
class Job:
    kind: str  # "collect" (the pristine tests, no kata code) or "kata"
    folders: list[str]  # kata folders this job runs
    impl: Path  # --impl folder
    result: Path
    log: Path
    deny_read: tuple[str, ...] = ()
    deny_write: tuple[str, ...] = ()
    # filled in by run_jobs
    status: str = ""  # "" = finished normally, else what went wrong
    seconds: float = 0.0
    cpu_seconds: float = 0.0


DONE = 83  # a child's own "finished" exit status; 0 (what os._exit(0) gives) is never taken for success


def run_jobs(jobs: list[Job], limits: Limits, child: Callable[[Job], None]) -> None:
    """Fork ``child(job)`` for each job (it never returns); fill in each job's status and seconds."""
    pending = list(jobs)
    running: dict[int, tuple[Job, float, float]] = {}
    while pending or running:
        while pending and len(running) < max(1, limits.jobs):
            job = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                child(job)
            start = time.monotonic()
            timeout = limits.timeout_s if job.kind == "kata" else max(limits.timeout_s, COLLECT_TIMEOUT_S)
            running[pid] = (job, start, start + timeout)
        finished = False
        for pid, (job, start, deadline) in list(running.items()):
            done, wait_status, usage = os.wait4(pid, os.WNOHANG)
            if done == 0 and time.monotonic() > deadline:
                _kill_group(pid)
                _, wait_status, usage = os.wait4(pid, 0)
                job.status = f"timed out: still running after {deadline - start:.0f} s (sleeping or blocked?)"
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
    if code == DONE:
        return ""
    return (f"the kata's process ended (exit status {code}) before its tests reported: kata code called "
            "os._exit(), or the process crashed")
