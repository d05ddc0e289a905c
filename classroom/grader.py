"""The grader's side of a grading run: the run's memory cgroup, the zygote, and its jobs, at most
``Limits.jobs`` at a time, each reported by a ``JobResult`` (``zygote``, ``protocol``).

The run has a deadline derived from its jobs' budgets (``spec.run_deadline_s``): a job still
running then, or never started, gets a result that says so, and the grader always gets a result
for every job it asked for. A zygote that dies costs only the jobs it was running.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque
from pathlib import Path

from . import isolation as strategies
from .memory import RunCgroup
from .protocol import JobResult
from .spec import JobSpec, run_deadline_s
from .zygote import BOOT

RESTARTS = 3  # zygotes a run may lose before it gives up on the jobs left


class Wire:
    """The grader's end of a child's stdin and stdout: one JSON message a line each way. Sending never
    blocks: what the child has not read yet waits here, and goes out while its messages are read.
    (Both pipes can be full at once, a big job spec one way and a big result the other: a blocking
    write there would wait for a child that waits for the grader.)"""

    def __init__(self, stdin: int, stdout: int):
        self.stdin, self.stdout = stdin, stdout
        os.set_blocking(stdin, False)
        self.incoming, self.outgoing = bytearray(), bytearray()

    def send(self, message: dict) -> None:
        self.outgoing += json.dumps(message).encode() + b"\n"

    def read(self, timeout: float) -> dict | None:
        """The next message, {} when none came in ``timeout``, None when the child's stdout ended."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.incoming:
            left = deadline - time.monotonic()
            if left <= 0:
                return {}
            readable, writable, _ = select.select([self.stdout], [self.stdin] if self.outgoing else [], [], left)
            if writable:
                try:
                    del self.outgoing[:os.write(self.stdin, self.outgoing)]
                except BlockingIOError:
                    pass
                except OSError:  # the child is gone: its stdout ends next
                    self.outgoing.clear()
            if readable:
                chunk = os.read(self.stdout, 1 << 20)
                if not chunk:
                    return None
                self.incoming += chunk
        end = self.incoming.index(b"\n")
        line = bytes(self.incoming[:end])
        del self.incoming[:end + 1]
        return json.loads(line)


class Zygote:
    """The grader's handle on one zygote process."""

    def __init__(self, isolation: strategies.Isolation, pristine: Path, work: Path, cgroup: RunCgroup):
        self.isolation = isolation
        self.log = work / "zygote.log"
        runtime = Path(__file__).resolve().parent
        config = {**isolation.config(pristine, runtime, cgroup.path), "isolation": isolation.name,
                  "why": isolation.why, "cgroup_version": cgroup.version}
        argv, env = isolation.zygote([sys.executable, "-I", "-c", BOOT, json.dumps(config)], pristine, runtime,
                                     cgroup.path)
        work.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
                                            env=env, cwd=work, start_new_session=True)
        self.wire = Wire(self.process.stdin.fileno(), self.process.stdout.fileno())
        ready = self.read(600.0)
        if not ready or not ready.get("ready"):
            self.close()
            tail = self.log.read_bytes()[-3000:].decode(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"the grading sandbox did not start (see {self.log}):\n{tail}")
        self.why_not = ready["why"]  # jobs cannot be isolated here after all

    def send(self, spec: JobSpec) -> None:
        self.wire.send({"run": spec.to_json()})

    def read(self, timeout: float) -> dict | None:
        """The next message, {} when none came in ``timeout``, None when the zygote is gone."""
        return self.wire.read(timeout)

    def close(self) -> None:
        """Stop the zygote and wait until it, and therefore every process of every job, is gone."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for kill in (lambda: os.killpg(self.process.pid, signal.SIGKILL), self.process.kill):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass
        self.process.wait()
        self.process.stdout.close()


class GradingRun:
    """One grading run: ``run`` jobs as often as needed, then ``close`` (or use it as a context)."""

    def __init__(self, pristine: Path, work: Path, jobs: int, isolate: bool | None = None):
        self.pristine, self.work, self.jobs = Path(pristine), Path(work), max(1, jobs)
        self.cgroup = RunCgroup()
        self.zygote: Zygote | None = self._start(strategies.choose(isolate))
        self.isolation = self.zygote.isolation
        strategies.notice_once(self.isolation)

    @property
    def memory_counted_by(self) -> str:
        return self.cgroup.counted_by

    def _start(self, isolation: strategies.Isolation) -> Zygote:
        """The zygote, in the sandbox where it works; else as plain processes, with the reason."""
        try:
            zygote = Zygote(isolation, self.pristine, self.work, self.cgroup)
        except RuntimeError as error:
            if not isolation.isolated:
                raise
            return self._start(strategies.Unsandboxed(f"bwrap could not start: {str(error).strip().splitlines()[-1][:200]}"))
        if zygote.why_not:
            zygote.close()
            return self._start(strategies.Unsandboxed(zygote.why_not))
        return zygote

    def run(self, specs: list[JobSpec]) -> dict[int, JobResult]:
        """Every job's result, by id (the first ones start first)."""
        results: dict[int, JobResult] = {}
        pending, running = deque(specs), {}
        deadline = time.monotonic() + run_deadline_s(specs, self.jobs)
        restarts = 0
        self.zygote = self.zygote or self._start(self.isolation)
        while pending or running:
            while pending and len(running) < self.jobs:
                spec = pending.popleft()
                running[spec.id] = spec
                self.zygote.send(spec)
            message = self.zygote.read(max(0.0, deadline - time.monotonic()))
            if message is None:  # the zygote died: what ran with it scores nothing; the rest goes on
                results.update((number, JobResult(number, "the grading sandbox stopped while this kata ran "
                                                          "(see the grader's log)")) for number in running)
                running.clear()
                restarts += 1
                if restarts > RESTARTS:
                    break
                self.zygote.close()
                self.zygote = self._start(self.isolation)
            elif not message:  # the run's deadline passed
                break
            else:
                result = JobResult.from_json(message)
                running.pop(result.id, None)
                results[result.id] = result
        why = ("not graded: the grading run passed its deadline" if time.monotonic() >= deadline
               else "not graded: the grading sandbox stopped, repeatedly")
        for spec in [*running.values(), *pending]:
            results.setdefault(spec.id, JobResult(spec.id, why))
        if running:  # stop what still runs, so that nothing of it outlives the run
            self.zygote.close()
            self.zygote = None
        return results

    def close(self) -> None:
        if self.zygote is not None:
            self.zygote.close()
        self.cgroup.remove()

    def __enter__(self) -> GradingRun:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
