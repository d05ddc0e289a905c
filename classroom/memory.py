"""How much memory a job holds, and the limit on it.

Where the machine allows it, each job gets a memory cgroup of its own with the limit set in the
kernel: cgroup v2's ``memory.max`` (GitHub's Ubuntu runners) or the v1 memory controller's
``memory.limit_in_bytes`` (a child of this process's own memory cgroup, which root can create). A
cgroup counts every page the job touches, memory-backed files (memfd, tmpfs, shared memory)
included, and leaves CUDA alone; the kernel ends a job past it, and the watcher reads why.
Elsewhere the watcher counts the job's resident memory plus the memory-backed files it holds open,
from /proc, and ends a job past the limit itself. ``RunCgroup.why_not`` says which is in force.

The grader creates one cgroup for the run (``RunCgroup``) and the sandbox binds it in; each watcher
makes its job's child in it (``JobMemory``); the job joins it before anything else, then loses its
view of it (``sandbox``), so kata code cannot raise its own limit.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

V1_ROOT = "/sys/fs/cgroup/memory"
V2_ROOT = "/sys/fs/cgroup"
PROCS = "cgroup.procs"


class RunCgroup:
    """The grading run's memory cgroup, under this process's own; or why there is none."""

    def __init__(self) -> None:
        self.version, self.path, self.why_not = "", None, ""
        try:
            self.version, own = _own_cgroup()
            self.path = own / f"katas-grading-{os.getpid()}-{secrets.token_hex(4)}"
            self.path.mkdir()
            if self.version == "v2":
                _enable_memory(own)
                _enable_memory(self.path)
        except OSError as error:
            self.remove()
            self.version, self.path = "", None
            self.why_not = f"no memory cgroup for the jobs ({error.strerror or error})"

    @property
    def counted_by(self) -> str:
        return counted_by(self.version)

    def remove(self) -> None:
        """Remove the run's cgroup and what jobs left in it (every job process is gone by now)."""
        if self.path is None or not self.path.is_dir():
            return
        for child in self.path.iterdir():
            if child.is_dir():
                try:
                    child.rmdir()
                except OSError:
                    pass
        try:
            self.path.rmdir()
        except OSError:
            pass


def counted_by(version: str) -> str:
    """How a job's memory is counted, in words for a grade and the README."""
    return f"memory cgroup {version}" if version else "resident memory and memory-backed files, from /proc"


def _own_cgroup() -> tuple[str, Path]:
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    for entry in lines:
        _, controllers, path = entry.split(":", 2)
        if "memory" in controllers.split(",") and os.path.isdir(V1_ROOT):
            return "v1", Path(V1_ROOT + path)
    for entry in lines:
        if entry.startswith("0::") and os.path.isfile(f"{V2_ROOT}/cgroup.controllers"):
            own = Path(V2_ROOT + entry[3:])
            if "memory" in (own / "cgroup.controllers").read_text().split():
                return "v2", own
    raise OSError(0, "neither a v1 memory controller nor cgroup v2 with memory is mounted here")


def _enable_memory(folder: Path) -> None:
    """cgroup v2: give the cgroups under ``folder`` the memory controller."""
    if "memory" not in (folder / "cgroup.subtree_control").read_text().split():
        (folder / "cgroup.subtree_control").write_text("+memory")


class JobMemory:
    """One job's memory: its cgroup (made in the run's, which ``root`` names where this process sees
    it) or, with no ``root``, /proc. The watcher makes it before it forks the job."""

    def __init__(self, root: str | None, version: str, job: int, limit_mb: int):
        self.limit = limit_mb << 20
        self.version = version if root else ""
        self.peak, self.start = 0, None
        self.folder = self.name = None
        if self.version:
            self.name = f"job-{job}"
            self.parent = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
            os.mkdir(self.name, dir_fd=self.parent)
            self.folder = os.open(self.name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=self.parent)
            if version == "v1":
                self._write("memory.limit_in_bytes", self.limit)
            else:
                self._write("memory.max", self.limit)
                self._write("memory.swap.max", 0, missing_ok=True)
            self.join_path = f"{root}/{self.name}/{PROCS}"

    def join(self) -> None:
        """In the job, before anything else: this process, and all it starts, into the cgroup."""
        if self.folder is not None:
            with open(self.join_path, "w") as procs:
                procs.write("0")

    def sample(self, proc: str) -> None:
        """Measure what the job holds beyond its start (a cgroup counts only the job's own pages; from
        /proc, what it held when first measured, torch and pytest shared with the zygote, is taken
        off). ``proc`` is its folder in /proc: "1" in the sandbox, whose /proc is the job's own."""
        if self.version:
            used = self._cgroup_bytes()
        else:
            used = _resident_and_files(proc)
            self.start = used if self.start is None else self.start
            used -= self.start
        self.peak = max(self.peak, used)

    @property
    def counted_by(self) -> str:
        return counted_by(self.version)

    @property
    def peak_mb(self) -> float:
        return self.peak / (1 << 20)

    def over_limit(self) -> bool:
        """Without a cgroup the watcher enforces the limit: is the job past it?"""
        return not self.version and self.peak > self.limit

    def killed_for_memory(self) -> bool:
        """The kernel ended the job for reaching its cgroup's limit."""
        if not self.version:
            return False
        events = self._read("memory.oom_control" if self.version == "v1" else "memory.events")
        counts = dict(line.split() for line in events.splitlines() if len(line.split()) == 2)
        return int(counts.get("oom_kill", 0)) > 0 or self.peak >= self.limit * 0.98

    def close(self) -> None:
        if self.folder is not None:
            os.close(self.folder)
            try:
                os.rmdir(self.name, dir_fd=self.parent)
            except OSError:
                pass  # the grader removes the run's cgroup with whatever is left in it
            os.close(self.parent)
            self.folder = None

    def _cgroup_bytes(self) -> int:
        try:
            return int(self._read("memory.usage_in_bytes" if self.version == "v1" else "memory.current"))
        except (OSError, ValueError):
            return 0

    def _read(self, name: str) -> str:
        descriptor = os.open(name, os.O_RDONLY, dir_fd=self.folder)
        with os.fdopen(descriptor) as handle:
            return handle.read()

    def _write(self, name: str, value: int, missing_ok: bool = False) -> None:
        try:
            descriptor = os.open(name, os.O_WRONLY, dir_fd=self.folder)
        except FileNotFoundError:
            if missing_ok:
                return
            raise
        with os.fdopen(descriptor, "w") as handle:
            handle.write(str(value))


def _resident_and_files(proc: str) -> int:
    """Resident memory of the process plus the memory-backed files it holds open (memfd, /dev/shm)."""
    total = 0
    try:
        with open(f"/proc/{proc}/statm") as statm:
            total = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        for fd in os.listdir(f"/proc/{proc}/fd"):
            try:
                target = os.readlink(f"/proc/{proc}/fd/{fd}")
                if target.startswith(("/memfd:", "/dev/shm/")):
                    total += os.stat(f"/proc/{proc}/fd/{fd}").st_size
            except OSError:
                continue
    except (OSError, IndexError, ValueError):
        pass
    return total
