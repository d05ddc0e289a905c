"""The processes of a grading run.

    grader (python -m classroom grade: no torch, no kata code)
      └─ bwrap ─ zygote: imported torch, pytest and the harness once; forks a watcher per job
                   └─ watcher: its job's namespaces (unshare), limits, output and result
                        └─ job: PID 1 of its namespaces, runs one kata's tests (``recorder``)

The grader sends the zygote one line of JSON per job (at most ``Limits.jobs`` at a time) and reads
one line back per finished job. The watcher is the only process that talks to its job: it keeps the
head and tail of the job's output, reads the job's progress and its one result frame, and ends the
job (with everything it started) at a limit. Without bwrap the zygote runs as a plain process and
the job in a process group of its own (``sandbox.FALLBACK_NOTICE``).
"""

from __future__ import annotations

import base64
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from . import sandbox
from .recorder import DONE


@dataclass(frozen=True)
class Limits:
    """Per kata. Each test gets the per-test limit a student's own `pytest katas/NN` gives it (the
    shipped pytest `timeout`), and a test that runs past it fails like any other. The rest are
    backstops, sized so that a kata whose every test keeps to its limit never meets them; meeting
    one scores the kata zero, with the reason."""

    test_timeout_s: float | None = None  # per test; None: the shipped `timeout` in pyproject.toml; 0: off
    timeout_s: float = 0.0  # wall clock for a kata's whole run; 0: a minute plus every test's whole limit
    cpu_s: float = 0.0  # CPU time for a kata's whole run; 0: the same as its wall clock
    memory_mb: int = 3072  # resident memory a kata may add to the grader's own (torch, pytest, the tests)
    disk_mb: int = 256  # what a kata may write: its working directory, next to its module, and /tmp
    output_kb: int = 64  # output kept per kata, the first and last halves; the middle is left out, and said so
    jobs: int = os.cpu_count() or 1


COLLECT_TIMEOUT_S = 300.0  # collecting runs no kata code, on a maybe busy machine
NO_TIMEOUT_S = 1800.0  # a kata's whole run when tests have no limit of their own
POLL_S = 0.05


def shipped_test_timeout(pristine: Path) -> float:
    """The per-test `timeout` of the grading tree's pyproject.toml (what `pytest katas/NN` uses)."""
    import re

    try:
        text = (Path(pristine) / "pyproject.toml").read_text()
    except OSError:
        return 0.0
    section = text.split("[tool.pytest.ini_options]", 1)[-1].split("\n[", 1)[0]
    match = re.search(r"^\s*timeout\s*=\s*([0-9.]+)", section, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def budget(spec: dict, tests: int) -> tuple[float, float]:
    """(wall, CPU) seconds for a kata's whole run of ``tests`` tests."""
    per_test = spec["test_timeout"]
    wall = spec["timeout_s"] or ((60.0 + tests * per_test) if per_test else NO_TIMEOUT_S)
    return wall, spec["cpu_s"] or wall


@dataclass
class Job:
    kind: str  # "collect" (the pristine tests, no kata code) or "kata"
    folders: list[str]  # kata folders this job runs
    module: str = ""  # the kata module's name, and its source (kata jobs)
    source: bytes = b""
    deny_read: tuple[str, ...] = ()  # without bwrap: what the audit hook refuses to read
    # filled in by run_jobs
    status: str = ""  # "" = finished normally, else why it scored nothing
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    payload: dict | None = None  # the job's result: exit status, run report, violations, outcomes
    output: str = ""  # the head and tail of what it printed
    memory_mb: float = 0.0


# --------------------------------------------------------------------------------------------------
# In the grader: start the zygote, hand it the jobs, collect the results


_noticed: set[str] = set()


class Zygote:
    """The grader's handle on one zygote process (inside bwrap when ``isolated``)."""

    def __init__(self, pristine: Path, work: Path, isolate: bool | None):
        self.pristine, self.work = Path(pristine), Path(work)
        runtime = Path(__file__).resolve().parent
        self.why = sandbox.why_not_isolated() if isolate is not False else "isolation was switched off"
        self.isolated = not self.why
        self.buffer = b""
        self.log = self.work / "zygote.log"
        self.process = self._start(runtime)
        try:
            ready = self._ready()
        except RuntimeError as error:  # bwrap could not build the sandbox here (no user namespaces?)
            if not self.isolated:
                raise
            ready = {"why": f"bwrap could not start: {str(error).strip().splitlines()[-1][:200]}"}
        if self.isolated and ready.get("why"):  # no sandbox, or jobs cannot get namespaces of their own
            self.close()
            self.isolated, self.why = False, ready["why"]
            self.process = self._start(runtime)
            self._ready()
        if not self.isolated and self.why not in _noticed:
            _noticed.add(self.why)
            print(sandbox.FALLBACK_NOTICE.format(why=self.why), file=sys.stderr, flush=True)

    def _start(self, runtime: Path) -> subprocess.Popen:
        if self.isolated:
            config = {"isolated": True, "pristine": sandbox.SANDBOX_PRISTINE,
                      "runtime": f"{sandbox.SANDBOX_LIB}/classroom",
                      "path": [sandbox.SANDBOX_LIB, sandbox.SANDBOX_PRISTINE]}
        else:
            config = {"isolated": False, "pristine": str(self.pristine), "runtime": str(runtime),
                      "path": [str(self.pristine), str(runtime.parent)]}
        argv = [sys.executable, "-I", "-c", BOOT, json.dumps(config)]
        env = None
        if self.isolated:
            argv = sandbox.sandbox_command(argv, self.pristine, runtime)
        else:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "KATA_"))}
            env["PYTHONDONTWRITEBYTECODE"] = "1"
        self.work.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, env=env,
                                    cwd=self.work, start_new_session=True)

    def _ready(self) -> dict:
        message = self.read(600.0)
        if message is None or not message.get("ready"):
            self.close()
            tail = self.log.read_bytes()[-3000:].decode(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"the grading sandbox did not start (see {self.log}):\n{tail}")
        return message

    def send(self, message: dict) -> bool:
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
            return True
        except (BrokenPipeError, OSError):
            return False

    def read(self, timeout: float) -> dict | None:
        """The next message, {} when none came in ``timeout``, None when the zygote is gone."""
        deadline = time.monotonic() + timeout
        stdout = self.process.stdout.fileno()
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return {}
            ready, _, _ = select.select([stdout], [], [], left)
            if not ready:
                return {}
            chunk = os.read(stdout, 1 << 20)
            if not chunk:
                return None
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

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


def run_jobs(jobs: list[Job], limits: Limits, pristine: Path, work: Path, isolate: bool | None = None) -> bool:
    """Run every job (the first ones first), at most ``limits.jobs`` at a time; fill in each job's
    status, timings, payload and output. Returns whether the jobs were OS-isolated."""
    per_test = shipped_test_timeout(pristine) if limits.test_timeout_s is None else limits.test_timeout_s
    zygote = Zygote(pristine, work, isolate)
    pending = deque(enumerate(jobs))
    running: dict[int, Job] = {}
    restarts = 0
    try:
        while pending or running:
            while pending and len(running) < max(1, limits.jobs):
                number, job = pending.popleft()
                running[number] = job
                if not zygote.send({"run": _spec(number, job, limits, per_test, work, zygote.isolated)}):
                    break
            message = zygote.read(3600.0)
            if message is None:  # the zygote died: what ran with it scores nothing; the rest goes on
                for job in running.values():
                    job.status = "the grading sandbox stopped while this kata ran (see the grader's log)"
                running.clear()
                restarts += 1
                if restarts > 3:
                    for _, job in pending:
                        job.status = "the grading sandbox stopped, repeatedly"
                    break
                zygote.close()
                zygote = Zygote(pristine, work, isolate)
            elif message:
                job = running.pop(message["id"])
                job.status, job.payload, job.output = message["status"], message["payload"], message["output"]
                job.seconds, job.cpu_seconds = message["seconds"], message["cpu_seconds"]
                job.memory_mb = message["memory_mb"]
    finally:
        zygote.close()
    return zygote.isolated


def _spec(number: int, job: Job, limits: Limits, per_test: float, work: Path, isolated: bool) -> dict:
    return {
        "id": number, "kind": job.kind, "folders": job.folders, "folder": job.folders[0], "module": job.module,
        "source": base64.b64encode(job.source).decode(), "deny_read": list(job.deny_read),
        "test_timeout_s": limits.test_timeout_s, "test_timeout": per_test, "timeout_s": limits.timeout_s,
        "cpu_s": limits.cpu_s, "memory_mb": limits.memory_mb, "disk_mb": limits.disk_mb,
        "output_kb": limits.output_kb, "area": str(work / "jobs" / str(number)),
    }


# the zygote's entry point: python -I -c BOOT CONFIG
BOOT = ("import json, sys; config = json.loads(sys.argv[1]); sys.path[:0] = config['path']; "
        "from classroom.pool import zygote; zygote(config)")


# --------------------------------------------------------------------------------------------------
# In the sandbox: the zygote


def zygote(config: dict) -> None:
    """Serve the grader: fork a watcher per job line on stdin, write its result line to stdout."""
    isolated = config["isolated"]
    sys.dont_write_bytecode = True  # the grading tree is read-only to jobs (-I ignores PYTHONDONTWRITEBYTECODE)
    why = sandbox.probe_job_namespaces() if isolated else ""
    _preload()
    _emit({"ready": True, "isolated": isolated, "why": why})
    if why:
        return
    commands = sys.stdin.fileno()
    watchers: dict[int, tuple[int, int, bytearray]] = {}  # pipe -> (job id, watcher pid, data)
    reading, lines = True, bytearray()
    while reading or watchers:
        ready, _, _ = select.select(([commands] if reading else []) + list(watchers), [], [])
        for fd in ready:
            if fd == commands:
                chunk = os.read(commands, 1 << 20)
                reading = bool(chunk)
                lines += chunk
                while b"\n" in lines:
                    end = lines.index(b"\n")
                    spec = json.loads(bytes(lines[:end]))["run"]
                    del lines[:end + 1]
                    pipe, pid = _fork_watcher(spec, config)
                    watchers[pipe] = (spec["id"], pid, bytearray())
                continue
            number, pid, data = watchers[fd]
            chunk = os.read(fd, 1 << 20)
            if chunk:
                data += chunk
                continue
            os.close(fd)
            del watchers[fd]
            os.waitpid(pid, 0)
            try:
                result = json.loads(bytes(data))
            except ValueError:
                result = _result("the kata's watcher failed (a grader bug): no result", 0.0, 0.0, None, "", 0.0)
            _emit({"id": number, **result})


def _preload() -> None:
    """What every job uses, imported once before forking (never CUDA: it does not survive a fork)."""
    import _pytest.skipping  # noqa: F401
    import pytest  # noqa: F401
    import pytest_timeout  # noqa: F401
    import torch

    import katas.harness.plugin  # noqa: F401

    from . import recorder  # noqa: F401

    torch.set_num_threads(1)


def _emit(message: dict) -> None:
    sys.stdout.buffer.write(json.dumps(message).encode() + b"\n")
    sys.stdout.buffer.flush()


def _fork_watcher(spec: dict, config: dict) -> tuple[int, int]:
    read, write = os.pipe()
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(read)
            _keep_only(write)
            result = watch(spec, config)
            _write_all(write, json.dumps(result).encode())
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    os.close(write)
    return read, pid


def _keep_only(*fds: int) -> None:
    """Close every file descriptor but stderr (the zygote's log) and ``fds``."""
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    keep = sorted({2, *fds})
    start = 3
    for fd in keep:
        if fd >= start:
            os.closerange(start, fd)
            start = fd + 1
    os.closerange(start, 1 << 16)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# --------------------------------------------------------------------------------------------------
# In the sandbox: a job's watcher


def _result(status: str, seconds: float, cpu: float, payload, output: str, memory: float) -> dict:
    return {"status": status, "seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "payload": payload,
            "output": output, "memory_mb": round(memory, 1)}


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

    def text(self) -> str:
        tail = self.tail[-self.half:]
        left_out = self.total - len(self.head) - len(tail)
        note = (f"\n[... {left_out} bytes of output left out: a grade keeps the first and last "
                f"{self.half // 1024 or self.half} {'KiB' if self.half >= 1024 else 'bytes'} of a kata's output ...]\n"
                if left_out > 0 else "")
        return (bytes(self.head) + note.encode() + bytes(tail)).decode(errors="replace")


class Channel:
    """What the job says on its result pipe: progress lines, then one result frame with the secret."""

    def __init__(self, nonce: str):
        self.nonce = nonce
        self.buffer = bytearray()
        self.expecting = 0  # bytes of the result frame still to come
        self.body = bytearray()
        self.result: dict | None = None
        self.ready = False
        self.tests: int | None = None
        self.progress = 0  # tests started and ended so far
        self.forged = ""

    def add(self, data: bytes) -> None:
        if self.forged:
            return
        self.buffer += data
        while self.buffer and not self.forged:
            if self.expecting:
                take = self.buffer[:self.expecting]
                self.body += take
                del self.buffer[:len(take)]
                self.expecting -= len(take)
                if not self.expecting:
                    try:
                        self.result = json.loads(bytes(self.body))
                    except ValueError:
                        self.forged = "a result frame that is not JSON"
                continue
            if self.result is not None:
                self.forged = "more after the result"
                return
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > 4096:
                    self.forged = "a line of garbage"
                return
            line = bytes(self.buffer[:end]).decode(errors="replace").split()
            del self.buffer[:end + 1]
            self._line(line)

    def _line(self, words: list[str]) -> None:
        if words == ["ready"]:
            self.ready = True
        elif words in (["start"], ["end"]):
            self.progress += 1
        elif len(words) == 2 and words[0] == "collected" and words[1].isdigit() and self.tests is None:
            self.tests = int(words[1])
        elif len(words) == 3 and words[0] == "result" and words[1].isdigit():
            if words[2] != self.nonce:
                self.forged = "a result frame without the job's secret"
            elif int(words[1]) > 256 << 20:
                self.forged = "a result frame too large"
            else:
                self.expecting = int(words[1])
                if not self.expecting:
                    self.forged = "an empty result frame"
        else:
            self.forged = f"a line it does not know ({' '.join(words)[:60]!r})"


def watch(spec: dict, config: dict) -> dict:
    """Run one job in its own namespaces (sandbox) or process group, watch it, and return its result."""
    isolated = config["isolated"]
    if isolated:
        sandbox.unshare_job()  # the job forked next is PID 1 of a new PID namespace
    nonce = os.urandom(16).hex()
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
            from .recorder import job_main

            job_main(spec, nonce, 3, isolated, config["pristine"], config["runtime"])
        finally:
            os._exit(72)
    os.close(log_write)
    os.close(channel_write)
    for fd in (log_read, channel_read):
        os.set_blocking(fd, False)
    output, channel = Output(spec["output_kb"] * 1024), Channel(nonce)
    kind = spec["kind"]
    per_test = spec["test_timeout"]
    grace = per_test + max(10.0, per_test)
    wall = cpu = COLLECT_TIMEOUT_S
    deadline = start + COLLECT_TIMEOUT_S  # until collection ends (no kata code runs before)
    quiet_until = None  # the test in progress must report within its own limit and the grace
    reason, status, usage, baseline, peak, progress = "", None, None, None, 0.0, -1
    open_fds = [log_read, channel_read]
    while status is None:
        ready, _, _ = select.select(open_fds, [], [], POLL_S)
        for fd in ready:
            data = _read_some(fd)
            if data is None:
                open_fds.remove(fd)
            elif fd == log_read:
                output.add(data)
            else:
                channel.add(data)
        if kind == "kata" and channel.tests is not None and progress < 0:
            wall, cpu = budget(spec, channel.tests)  # the recorder set the same CPU limit
            deadline = start + wall
        if kind == "kata" and channel.tests is not None and channel.progress != progress and per_test > 0:
            quiet_until, progress = time.monotonic() + grace, channel.progress
        done, wait_status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            status = wait_status
            break
        now = time.monotonic()
        if not reason and channel.forged:
            reason = f"tampered: wrote into the grader's result channel ({channel.forged})"
        if not reason and now > deadline:
            reason = (f"timed out: its tests ran longer than {wall:.0f} s in all (sleeping or blocked?)"
                      if channel.tests is not None else "timed out while collecting its tests")
        if not reason and quiet_until is not None and now > quiet_until:
            reason = (f"timed out: a test ran longer than {grace:.0f} s, past its {per_test:g} s limit, which kata "
                      "code kept from firing (an endless loop with the timeout signal blocked?)")
        if not reason and channel.ready and kind == "kata":
            memory, processes, disk = _usage(pid, isolated, spec)
            if baseline is None:
                baseline = memory
            peak = max(peak, memory - baseline)
            if memory - baseline > spec["memory_mb"]:
                reason = f"ran out of memory: used more than {spec['memory_mb']} MiB on top of the grader's own"
            elif processes:
                reason = f"started a process ({processes}): kata code may not start processes"
            elif disk >= spec["disk_mb"] * 0.98:
                reason = (f"filled its scratch space: wrote more than {spec['disk_mb']} MiB (its working "
                          "directory, next to its module and /tmp)")
        if reason:
            _kill(pid, isolated)
            _, status, usage = os.wait4(pid, 0)
    _kill(pid, isolated)  # whatever it left behind (in the sandbox its namespace is gone already)
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
        reason = _exit_reason(status, channel, cpu_seconds, cpu)
    if not reason and kind == "kata" and isolated:
        _, _, disk = _usage(None, isolated, spec)
        if disk >= spec["disk_mb"] * 0.98:
            reason = f"filled its scratch space: wrote more than {spec['disk_mb']} MiB"
    return _result(reason, seconds, cpu_seconds, channel.result if not reason else None, output.text(), peak)


def _read_some(fd: int) -> bytes | None:
    try:
        data = os.read(fd, 1 << 20)
    except BlockingIOError:
        return b""
    return data or None


def _usage(pid: int | None, isolated: bool, spec: dict) -> tuple[float, int, float]:
    """(resident MiB of the job, processes besides it, MiB written to its scratch space)."""
    page = os.sysconf("SC_PAGE_SIZE")
    processes = 0
    if isolated:  # /proc is the job's own: PID 1 is the job, any other process is one it started
        processes = sum(1 for name in os.listdir("/proc") if name.isdigit() and name != "1")
        statm = "/proc/1/statm"
        try:
            stats = os.statvfs(sandbox.SANDBOX_AREA)
            disk = (stats.f_blocks - stats.f_bfree) * stats.f_frsize / (1 << 20)
        except OSError:
            disk = 0.0
    else:
        statm = f"/proc/{pid}/statm"
        disk = _folder_mb(spec["area"])
    memory = 0.0
    if pid is not None:
        try:
            with open(statm) as handle:
                memory = int(handle.read().split()[1]) * page / (1 << 20)
        except (OSError, IndexError, ValueError):
            pass
    return memory, processes, disk


_sizes: dict[str, tuple[float, float]] = {}  # area -> (when measured, MiB): walking it once a second is plenty


def _folder_mb(area: str) -> float:
    when, size = _sizes.get(area, (0.0, 0.0))
    if time.monotonic() - when < 1.0:
        return size
    total, seen = 0, 0
    for folder, _, files in os.walk(area):
        for name in files:
            seen += 1
            try:
                total += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
        if seen > 10000:
            break
    size = total / (1 << 20)
    _sizes[area] = (time.monotonic(), size)
    return size


def _kill(pid: int, isolated: bool) -> None:
    """Kill the job; in the sandbox that ends its PID namespace, every process in it with it."""
    for kill in ((lambda: os.kill(pid, signal.SIGKILL)),) if isolated else (
            lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
        except (ProcessLookupError, PermissionError):
            pass


def _exit_reason(wait_status: int, channel: Channel, cpu_seconds: float, cpu_limit: float) -> str:
    if os.WIFSIGNALED(wait_status):
        number = os.WTERMSIG(wait_status)
        name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
        if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu_seconds >= cpu_limit - 1):
            return f"used more than {cpu_limit:g} s of CPU time (an endless loop, or far too slow)"
        if number == signal.SIGKILL:
            return "was killed (SIGKILL), by the system (out of memory?) or by code it started"
        return f"crashed with {name}"
    code = os.WEXITSTATUS(wait_status)
    if code == DONE and channel.result is not None:
        return ""
    return (f"the kata's process ended (exit status {code}) before its tests reported: kata code called "
            "os._exit(), or the process crashed")
