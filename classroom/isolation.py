"""Where kata code runs: the two ways a grading run isolates its jobs, behind one interface.

``Sandboxed`` (bubblewrap, Linux): one bwrap view of the machine for the run (``sandbox``), in which
the zygote forks each job into PID, mount, IPC, UTS and network namespaces of its own, with a
private capped tmpfs and its own /proc, and no capability left. ``Unsandboxed`` (no bwrap: macOS,
some CI): the same jobs as plain process groups, with a folder of their own, and ``FALLBACK_NOTICE``
said once. The grader, the zygote, the watcher and the job each call the strategy's methods; none of
them asks which one it is.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from . import sandbox

FALLBACK_NOTICE = (
    "note: kata code is NOT OS-isolated in this grading run ({why}). Each kata still runs in its own "
    "process with its limits and the audit hook, but a hostile submission can reach other submissions, "
    "the grader and this machine. Where bubblewrap runs (Debian/Ubuntu: apt-get install bubblewrap), "
    "every submission gets its own sandbox."
)


class Isolation:
    """What differs between isolating jobs in the sandbox and running them as plain processes."""

    name = ""
    isolated = False

    def __init__(self, why: str = ""):
        self.why = why  # why the run is not sandboxed ("" when it is)

    # -- the grader --------------------------------------------------------------------------------

    def zygote(self, argv: list[str], pristine: Path, runtime: Path, cgroup: Path | None) -> tuple[list[str], dict | None]:
        """The command (and environment, None: this one) that starts the zygote."""
        raise NotImplementedError

    def config(self, pristine: Path, runtime: Path, cgroup: Path | None) -> dict:
        """Where the zygote finds things, as it sees them."""
        raise NotImplementedError

    # -- the zygote, the watcher and the job ---------------------------------------------------------

    def probe(self) -> str:
        """In the zygote, once: '' when jobs can be isolated as promised, else why not."""
        return ""

    def before_fork(self) -> None:
        """In the watcher, before it forks its job."""

    def enter(self, area: str, disk_mb: int) -> None:
        """In the job, first of all (with the capabilities it still has)."""

    def lock_down(self) -> None:
        """In the job, once its files are in place and before any test module loads."""

    def area(self, spec_area: str) -> str:
        """The job's own folder, as it sees it."""
        raise NotImplementedError

    def proc(self, pid: int) -> str:
        """The job's folder in /proc, as its watcher sees it."""
        raise NotImplementedError

    def started_processes(self, pid: int) -> int:
        """Processes the job started (there must be none)."""
        raise NotImplementedError

    def disk_mb(self, spec_area: str) -> float:
        """What the job has written to its scratch space."""
        raise NotImplementedError

    def kill(self, pid: int) -> None:
        """End the job and everything it started."""
        raise NotImplementedError


class Sandboxed(Isolation):
    name, isolated = "sandbox", True

    def zygote(self, argv, pristine, runtime, cgroup):
        return sandbox.bwrap_command(argv, pristine, runtime, cgroup), None

    def config(self, pristine, runtime, cgroup):
        return {"pristine": sandbox.PRISTINE, "runtime": f"{sandbox.LIB}/classroom",
                "path": [sandbox.LIB, sandbox.PRISTINE], "cgroup": sandbox.CGROUP if cgroup else None}

    def probe(self) -> str:
        return sandbox.probe_job_namespaces()

    def before_fork(self) -> None:
        sandbox.unshare_job()  # the job forked next is PID 1 of a new PID namespace

    def enter(self, area: str, disk_mb: int) -> None:
        sandbox.enter_job(disk_mb)

    def lock_down(self) -> None:
        sandbox.drop_privileges()

    def area(self, spec_area: str) -> str:
        return sandbox.AREA

    def proc(self, pid: int) -> str:
        return "1"  # the job mounted its own /proc, in the mount namespace it shares with its watcher

    def started_processes(self, pid: int) -> int:
        return sum(1 for name in os.listdir("/proc") if name.isdigit() and name != "1")

    def disk_mb(self, spec_area: str) -> float:
        try:
            stats = os.statvfs(sandbox.AREA)
        except OSError:
            return 0.0
        return (stats.f_blocks - stats.f_bfree) * stats.f_frsize / (1 << 20)

    def kill(self, pid: int) -> None:
        try:
            os.kill(pid, signal.SIGKILL)  # PID 1 of its namespace: every process in it goes with it
        except (ProcessLookupError, PermissionError):
            pass


class Unsandboxed(Isolation):
    name, isolated = "processes", False

    def zygote(self, argv, pristine, runtime, cgroup):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST", "KATA_"))}
        return argv, {**env, "PYTHONDONTWRITEBYTECODE": "1"}

    def config(self, pristine, runtime, cgroup):
        return {"pristine": str(pristine), "runtime": str(runtime), "path": [str(pristine), str(runtime.parent)],
                "cgroup": str(cgroup) if cgroup else None}

    def enter(self, area: str, disk_mb: int) -> None:
        os.setsid()  # its own process group, which kill() ends

    def area(self, spec_area: str) -> str:
        return spec_area

    def proc(self, pid: int) -> str:
        return str(pid)

    def started_processes(self, pid: int) -> int:
        return 0  # the audit hook refuses to start one; one it did not see escapes (README: threat model)

    def disk_mb(self, spec_area: str) -> float:
        return _folder_mb(spec_area)

    def kill(self, pid: int) -> None:
        for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass


STRATEGIES = {strategy.name: strategy for strategy in (Sandboxed, Unsandboxed)}


def choose(isolate: bool | None) -> Isolation:
    """The sandbox where bwrap can run it (``isolate`` None), else processes, with the reason."""
    if isolate is False:
        return Unsandboxed("isolation was switched off")
    why = sandbox.why_not_available()
    return Unsandboxed(why) if why else Sandboxed()


_sizes: dict[str, tuple[float, float]] = {}  # folder -> (when measured, MiB): walking it once a second is plenty


def _folder_mb(folder: str) -> float:
    when, size = _sizes.get(folder, (0.0, 0.0))
    if time.monotonic() - when < 1.0:
        return size
    total, seen = 0, 0
    for parent, _, files in os.walk(folder):
        for name in files:
            seen += 1
            try:
                total += os.lstat(os.path.join(parent, name)).st_size
            except OSError:
                pass
        if seen > 10000:
            break
    _sizes[folder] = (time.monotonic(), total / (1 << 20))
    return _sizes[folder][1]


_noticed: set[str] = set()


def notice_once(isolation: Isolation) -> None:
    """Say once per grading process, on stderr, that kata code is not OS-isolated, and why."""
    if not isolation.isolated and isolation.why not in _noticed:
        _noticed.add(isolation.why)
        print(FALLBACK_NOTICE.format(why=isolation.why), file=sys.stderr, flush=True)
