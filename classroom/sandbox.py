"""The OS sandbox: bubblewrap's view of the machine for a grading run, and the namespaces of a job in it.

bwrap (``bwrap_command``) builds one view for the run: read-only Python, the pristine tests and
harness, the grading runtime and, read-write, the run's memory cgroup; nothing else of the host (no
reference, no submission folder, no grade files), no network, and every process gone when the run
ends. Inside, the zygote forks each job into PID, mount, IPC, UTS and network namespaces of its own
(``unshare_job``: the same ``unshare(2)`` bwrap makes), where the job mounts a private, size-capped,
noexec tmpfs on /tmp (its scratch folder and working directory, with its own copy of the kata module)
and a /proc of its own, gives up its view of the cgroups (``enter_job``), and then drops every
capability (``drop_privileges``) before any kata code runs. A job therefore cannot see or signal
another job, the zygote or the grader, nor read another submission, nor change its own limits.
Importing torch costs about 2 s of CPU, so one bwrap per submission would cost the class that much
each; the job namespaces give every kata its own for the price of a fork.
"""

from __future__ import annotations

import ctypes
import glob
import os
import shutil
import site
import sys
from pathlib import Path

# Inside the sandbox: where the grading tree, the runtime and the run's cgroup are bound (never under
# /tmp, which each job replaces with its own tmpfs).
PRISTINE = "/grading/pristine"
LIB = "/grading/lib"  # holds classroom/, the grading runtime
CGROUP = "/grading/cgroup"  # the run's memory cgroup (read-write: the watchers make their jobs' in it)
AREA = "/tmp"  # a job's private tmpfs: its scratch folder (work/) and its kata module (impl/)
# Python installed under /tmp (a virtual environment in a checkout there) is also bound here, so a
# job can bind it back over its own fresh /tmp.
STAGE = "/grading/python"

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
JOB_NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 4096
MS_REC, MS_PRIVATE = 1 << 14, 1 << 18


# --------------------------------------------------------------------------------------------------
# The OS sandbox


def bwrap() -> str | None:
    return shutil.which("bwrap")


def python_roots() -> list[str]:
    """The folders the interpreter and its packages live in, outermost first, without repeats."""
    found = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.realpath(sys.executable)), *site.getsitepackages()]
    user = site.getusersitepackages()
    if isinstance(user, str) and os.path.isdir(user):
        found.append(user)
    roots: list[str] = []
    for path in sorted({os.path.realpath(p) for p in found if p and os.path.isdir(p)}, key=len):
        if path != "/" and not any(path == r or path.startswith(r + os.sep) for r in roots):
            roots.append(path)
    return roots


def why_not_available() -> str:
    """'' when bwrap can sandbox this run, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, this is {sys.platform}"
    if bwrap() is None:
        return "bwrap, from the bubblewrap package, is not installed"
    return ""


def _under_area(root: str) -> bool:
    return root == AREA or root.startswith(AREA + "/")


def bwrap_command(argv: list[str], pristine: Path, runtime: Path, cgroup: Path | None) -> list[str]:
    """``argv`` (a Python command) wrapped in bwrap: the view described at the top of this module."""
    # --unshare-all includes a user namespace: the capabilities the zygote needs to give jobs their
    # namespaces hold inside the sandbox only (and kata code drops them all). Not --disable-userns:
    # it nests a second user namespace, which locks the mounts a job must replace with its own /proc.
    command = [bwrap(), "--unshare-all", "--die-with-parent", "--new-session"]
    if os.geteuid() != 0:
        command += ["--cap-add", "ALL"]
    command += ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = f"/{name}"
        if os.path.islink(path):
            command += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            command += ["--ro-bind", path, path]
    command += ["--ro-bind-try", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    for root in python_roots():
        if not root.startswith("/usr/"):
            command += ["--ro-bind", root, root]
        if _under_area(root):
            command += ["--ro-bind", root, STAGE + root]
    command += ["--ro-bind", str(pristine), PRISTINE,
                "--ro-bind", str(runtime), f"{LIB}/classroom",
                *(["--bind", str(cgroup), CGROUP] if cgroup else []),
                "--ro-bind-try", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev"]
    for device in sorted(glob.glob("/dev/nvidia*")) + (["/dev/dri"] if os.path.isdir("/dev/dri") else []):
        command += ["--dev-bind", device, device]  # a GPU grading machine: the CUDA tests run
    command += ["--dir", AREA, "--remount-ro", "/dev", "--remount-ro", "/", "--clearenv"]
    for name, value in sandbox_environment().items():
        command += ["--setenv", name, value]
    return command + ["--chdir", AREA, "--", *argv]


def sandbox_environment() -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": AREA, "TMPDIR": AREA, "LANG": "C.UTF-8",
           "USER": "grader", "PYTHONDONTWRITEBYTECODE": "1", "PYTORCH_NVML_BASED_CUDA_CHECK": "1"}
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"{what}: {os.strerror(number)}")


def unshare_job() -> None:
    """Give the next child of this process its own PID namespace (it will be its PID 1), and this
    process and that child their own mount, IPC, UTS and network namespaces."""
    _check(libc().unshare(JOB_NAMESPACES), "unshare")


def _mount(source: str, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(libc().mount(source.encode(), target.encode(), kind.encode() if kind else None, ctypes.c_ulong(flags),
                        data.encode() if data else None), f"mount {target}")


def enter_job(disk_mb: int) -> None:
    """In a job's PID 1, with capabilities, once it has joined its memory cgroup: its own /proc, its
    private tmpfs at /tmp, and no view of the cgroups (its watcher reads them through a descriptor)."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    if os.path.isdir(CGROUP):
        _check(libc().umount2(CGROUP.encode(), 2), f"umount {CGROUP}")  # MNT_DETACH
    # A new /proc is refused while the old one is partly covered (bwrap covers /proc/sys and a few
    # more read-only): uncover it, mount the job's own, and cover that one the same way.
    with open("/proc/self/mountinfo") as mounts:
        points = [line.split()[4] for line in mounts]
    covers = [point for point in points if point.startswith("/proc/")]
    staged = [point.removeprefix(STAGE) for point in points if point.startswith(STAGE + "/")]
    for target in sorted(covers, key=len, reverse=True):
        _check(libc().umount2(target.encode(), 2), f"umount {target}")  # MNT_DETACH
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in ("sys", "sysrq-trigger", "irq", "bus"):
        target = f"/proc/{name}"
        if os.path.exists(target):
            _mount(target, target, None, MS_BIND | MS_REC)
            _mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # noexec: kata code cannot load native code it wrote (a shared library, a compiled extension)
    _mount("tmpfs", AREA, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           f"size={disk_mb}m,nr_inodes=65536,mode=0700")
    for root in sorted(staged, key=len):  # Python itself lives under /tmp: bind it back, read-only
        os.makedirs(root, exist_ok=True)
        _mount(STAGE + root, root, None, MS_BIND | MS_REC)
        _mount("none", root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges() -> None:
    """No capability left, none to regain (bounding set and ambient set cleared, no new privileges)."""
    prctl = libc().prctl
    prctl(38, 1, 0, 0, 0)  # PR_SET_NO_NEW_PRIVS (bwrap sets it too)
    prctl(47, 4, 0, 0, 0)  # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    for cap in range(64):
        prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP; fails harmlessly past the last capability
    prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no other process of the same user may trace this one
    header, data = _CapHeader(0x20080522, 0), (_CapData * 2)()  # _LINUX_CAPABILITY_VERSION_3
    _check(libc().capset(ctypes.byref(header), ctypes.byref(data)), "capset")
    with open("/proc/self/status") as status:
        effective = next(line for line in status if line.startswith("CapEff:"))
    if int(effective.split()[1], 16):
        raise RuntimeError(f"capabilities left after dropping them: {effective.strip()}")


def probe_job_namespaces() -> str:
    """'' when this process can give jobs their namespaces (try it once), else why not."""
    try:
        pid = os.fork()
    except OSError as error:
        return f"fork: {error}"
    if pid == 0:
        code = 1
        try:
            unshare_job()
            inner = os.fork()
            if inner == 0:
                try:
                    enter_job(1)
                    drop_privileges()
                    os._exit(0)
                finally:
                    os._exit(1)
            code = 0 if os.waitstatus_to_exitcode(os.waitpid(inner, 0)[1]) == 0 else 2
        except BaseException:
            code = 3
        os._exit(code)
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return {0: "", 2: "a job could not mount its own /proc and /tmp or drop its capabilities",
            3: "namespaces could not be created inside the sandbox (unshare failed)"}.get(code, f"probe exit {code}")


