"""A job's watcher: the process between the zygote and one job, the only one that talks to the job.

It forks the job (into namespaces of its own, in the sandbox), keeps the head and tail of its
output, checks each line on its channel against the secret and the plan (``protocol.Channel``), and
ends the job, with everything it started, at a limit: the run's wall clock and CPU budget, a test
silent past its limit and a grace (a loop that blocks the timeout signal), memory (the kernel does it
where a cgroup holds the job), processes, disk. Then it reports one ``JobResult``.
"""

from __future__ import annotations

import os
import select
import signal
import time

from .isolation import Isolation
from .memory import JobMemory
from .protocol import Channel, Exit, JobResult
from .spec import JobSpec

POLL_S = 0.05
BETWEEN_TESTS_S = 60.0  # silence allowed outside a test: collecting, between two tests, reporting


class Output:
    """The first and last ``keep`` / 2 bytes of a stream; what lies between is counted, not kept."""

    def __init__(self, keep: int):
        self.half = max(1, keep // 2)
        self.head, self.tail, self.total = bytearray(), bytearray(), 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = self.half - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > 4 * self.half:
            del self.tail[:-self.half]

    @property
    def left_out(self) -> int:
        return max(0, self.total - len(self.head) - min(len(self.tail), self.half))

    def text(self) -> str:
        note = (f"\n[... {self.left_out} bytes of output left out: a grade keeps the first and last "
                f"{self.half // 1024 or self.half} {'KiB' if self.half >= 1024 else 'bytes'} of a kata's output ...]\n"
                if self.left_out else "")
        return (bytes(self.head) + note.encode() + bytes(self.tail[-self.half:])).decode(errors="replace")


def watch(spec: JobSpec, config: dict, isolation: Isolation) -> JobResult:
    """Run one job, watch it, and return its result."""
    kata = spec.runs_kata_code
    memory = JobMemory(config["cgroup"] if kata else None, config["cgroup_version"], spec.id, spec.limits.memory_mb)
    isolation.before_fork()
    secret = os.urandom(32)
    log_read, log_write = os.pipe()
    channel_read, channel_write = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_RDONLY)
            fds = [os.dup(fd) for fd in (devnull, log_write, channel_write)]  # above 0-3 before dup2
            os.dup2(fds[0], 0)
            os.dup2(fds[1], 1)
            os.dup2(fds[1], 2)
            os.dup2(fds[2], 3)
            os.closerange(4, 1 << 16)
            from .job import job_main

            job_main(spec, secret, 3, isolation, config, memory)
        finally:
            os._exit(Exit.SETUP_FAILED)
    os.close(log_write)
    os.close(channel_write)
    for fd in (log_read, channel_read):
        os.set_blocking(fd, False)
    output = Output(spec.limits.output_kb * 1024)
    channel = Channel(secret, len(spec.tests) if kata else None)
    reason, status, usage = "", None, None
    progress, quiet_until = -1, start + BETWEEN_TESTS_S + spec.wall_s * (not kata)
    open_fds = [log_read, channel_read]
    while status is None:
        ready, _, _ = select.select(open_fds, [], [], POLL_S)
        for fd in ready:
            data = _read_some(fd)
            if data is None:
                open_fds.remove(fd)
            else:
                (output if fd == log_read else channel).add(data)
        done, wait_status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            status = wait_status
            break
        now = time.monotonic()
        if channel.progress != progress:  # a test started or ended: the silence allowed starts again
            progress = channel.progress
            current = spec.tests[channel.current] if kata and channel.current is not None else None
            quiet_until = now + (current.grace_s if current else BETWEEN_TESTS_S)
        if channel.forged:
            reason = f"tampered: wrote into the grader's result channel ({channel.forged})"
        elif now - start > spec.wall_s:
            reason = (f"timed out: its tests ran longer than {spec.wall_s:.0f} s in all (sleeping or blocked?)"
                      if channel.collected is not None else "timed out while collecting its tests")
        elif now > quiet_until:
            reason = _silent(spec, channel)
        elif kata and channel.collected is not None:
            reason = _over_a_limit(spec, pid, isolation, memory)
        if reason:
            isolation.kill(pid)
            _, status, usage = os.wait4(pid, 0)
    isolation.kill(pid)  # whatever it left behind (in the sandbox its namespace is gone already)
    for fd in open_fds:  # what is still in the pipes
        data = _read_some(fd)
        while data:
            (output if fd == log_read else channel).add(data)
            data = _read_some(fd)
        os.close(fd)
    seconds = time.monotonic() - start
    cpu_seconds = usage.ru_utime + usage.ru_stime if usage is not None else 0.0
    if not reason and channel.forged:
        reason = f"tampered: wrote into the grader's result channel ({channel.forged})"
    if not reason:
        reason = _exit_reason(status, channel, cpu_seconds, spec, memory)
    if not reason and kata and isolation.disk_mb(spec.area) >= spec.limits.disk_mb * 0.98:
        reason = f"filled its scratch space: wrote more than {spec.limits.disk_mb} MiB"
    result = JobResult(spec.id, reason, round(seconds, 3), round(cpu_seconds, 3),
                       channel.result if not reason else None, output.text(), round(memory.peak_mb, 1),
                       memory.counted_by)
    memory.close()
    return result


def _silent(spec: JobSpec, channel: Channel) -> str:
    if channel.current is None:
        return f"timed out: said nothing for {BETWEEN_TESTS_S:.0f} s between its tests"
    test = spec.tests[channel.current]
    return (f"timed out: {test.nodeid} ran longer than {test.grace_s:.0f} s, past its {test.timeout_s:g} s limit, "
            "which kata code kept from firing (an endless loop with the timeout signal blocked?)")


def _over_a_limit(spec: JobSpec, pid: int, isolation: Isolation, memory: JobMemory) -> str:
    memory.sample(isolation.proc(pid))
    if memory.over_limit():
        return f"ran out of memory: held more than {spec.limits.memory_mb} MiB ({memory.counted_by})"
    processes = isolation.started_processes(pid)
    if processes:
        return f"started a process ({processes}): kata code may not start processes"
    if isolation.disk_mb(spec.area) >= spec.limits.disk_mb * 0.98:
        return (f"filled its scratch space: wrote more than {spec.limits.disk_mb} MiB (its working directory, "
                "next to its module and /tmp)")
    return ""


def _read_some(fd: int) -> bytes | None:
    try:
        data = os.read(fd, 1 << 20)
    except BlockingIOError:
        return b""
    return data or None


def _exit_reason(wait_status: int, channel: Channel, cpu_seconds: float, spec: JobSpec, memory: JobMemory) -> str:
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        if number == signal.SIGKILL and memory.killed_for_memory():
            return f"ran out of memory: held more than {spec.limits.memory_mb} MiB ({memory.counted_by})"
        if number == signal.SIGXFSZ:
            return f"filled its scratch space: a file it wrote grew past {spec.limits.disk_mb} MiB"
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu_seconds >= spec.cpu_s - 1):
            return f"used more than {spec.cpu_s:g} s of CPU time (an endless loop, or far too slow)"
        if number == signal.SIGKILL:
            return "was killed (SIGKILL), by the system (out of memory?) or by code it started"
        return f"crashed with {name}"
    code = os.WEXITSTATUS(wait_status)
    if code == Exit.DONE and channel.result is not None:
        return ""
    return (f"the kata's process ended (exit status {code}) before its tests reported: kata code called "
            "os._exit(), or the process crashed")
