"""Where kata code runs, and what it may do there.

Two layers, kept apart because only the first is a guarantee.

The OS sandbox. bubblewrap (``bwrap``) builds one view of the machine for a grading run: read-only
Python, the pristine tests and harness and the grading runtime, nothing else of the host (no
reference, no submission folder, no grade files), no network, and every process gone when the run
ends. The grader's own process stays outside. Inside, the zygote (``pool``) imports torch once and
forks each job into its own PID, mount, IPC, UTS and network namespaces (``enter_job``: the same
``unshare(2)`` bwrap makes), where the job mounts a private, size-capped, noexec tmpfs on /tmp (its
scratch folder and working directory, with its own copy of the kata module) and a /proc of its own,
and then drops every capability before any kata code runs. A job therefore cannot see or signal
another job, the zygote or the grader, nor read another submission: they are not in its view.
Importing torch costs about 2 s of CPU, so one bwrap per submission would cost the class that much
each; the job namespaces give every submission (indeed every kata) its own PID namespace for the
price of a fork.

Without bwrap (macOS, some CI), grading runs the same jobs as plain processes: ``FALLBACK_NOTICE``.

Tamper evidence, in the kata's own process (``install_audit``, ``Snapshot``): an audit hook refuses
what kata code has no business doing (processes, network, signals to others, files outside its
scratch folder, frames, gc, ctypes, tracing) and a snapshot of what decides a verdict is compared,
by identity, at every assertion helper call, after every test and at the end. Kata code shares that
process, so this raises the bar and leaves evidence; it is not a guarantee (README: threat model).
"""

from __future__ import annotations

import ctypes
import glob
import operator
import os
import shutil
import site
import sys
import sysconfig
import threading
import types
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path, PurePath

FALLBACK_NOTICE = (
    "note: kata code is NOT OS-isolated in this grading run ({why}). Each kata still runs in its own "
    "process with its limits and the audit hook, but a hostile submission can reach other submissions, "
    "the grader and this machine. Where bubblewrap runs (Debian/Ubuntu: apt-get install bubblewrap), "
    "every submission gets its own sandbox."
)

# Inside the sandbox: where the grading tree and the runtime are bound (never under /tmp, which each
# job replaces with its own tmpfs).
SANDBOX_PRISTINE = "/grading/pristine"
SANDBOX_LIB = "/grading/lib"  # holds classroom/, the grading runtime
SANDBOX_AREA = "/tmp"  # a job's private tmpfs: its scratch folder (work/) and its kata module (impl/)
# Python installed under /tmp (a virtual environment in a checkout there) is also bound here, so a
# job can bind it back over its own fresh /tmp.
SANDBOX_STAGE = "/grading/python"

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


def why_not_isolated() -> str:
    """'' when bwrap can sandbox this run, else the reason it cannot."""
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, this is {sys.platform}"
    if bwrap() is None:
        return "bwrap, from the bubblewrap package, is not installed"
    return ""


def _under_area(root: str) -> bool:
    return root == SANDBOX_AREA or root.startswith(SANDBOX_AREA + "/")


def sandbox_command(argv: list[str], pristine: Path, runtime: Path) -> list[str]:
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
            command += ["--ro-bind", root, SANDBOX_STAGE + root]
    command += ["--ro-bind", str(pristine), SANDBOX_PRISTINE,
                "--ro-bind", str(runtime), f"{SANDBOX_LIB}/classroom",
                "--ro-bind-try", "/sys", "/sys", "--proc", "/proc", "--dev", "/dev"]
    for device in sorted(glob.glob("/dev/nvidia*")) + (["/dev/dri"] if os.path.isdir("/dev/dri") else []):
        command += ["--dev-bind", device, device]  # a GPU grading machine: the CUDA tests run
    command += ["--dir", SANDBOX_AREA, "--remount-ro", "/dev", "--remount-ro", "/", "--clearenv"]
    for name, value in sandbox_environment().items():
        command += ["--setenv", name, value]
    return command + ["--chdir", SANDBOX_AREA, "--", *argv]


def sandbox_environment() -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": SANDBOX_AREA, "TMPDIR": SANDBOX_AREA, "LANG": "C.UTF-8",
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
    """In a job's PID 1, with capabilities: its own /proc and its private tmpfs at /tmp."""
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    # A new /proc is refused while the old one is partly covered (bwrap covers /proc/sys and a few
    # more read-only): uncover it, mount the job's own, and cover that one the same way.
    with open("/proc/self/mountinfo") as mounts:
        points = [line.split()[4] for line in mounts]
    covers = [point for point in points if point.startswith("/proc/")]
    staged = [point.removeprefix(SANDBOX_STAGE) for point in points if point.startswith(SANDBOX_STAGE + "/")]
    for target in sorted(covers, key=len, reverse=True):
        _check(libc().umount2(target.encode(), 2), f"umount {target}")  # MNT_DETACH
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in ("sys", "sysrq-trigger", "irq", "bus"):
        target = f"/proc/{name}"
        if os.path.exists(target):
            _mount(target, target, None, MS_BIND | MS_REC)
            _mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    # noexec: kata code cannot load native code it wrote (a shared library, a compiled extension)
    _mount("tmpfs", SANDBOX_AREA, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
           f"size={disk_mb}m,nr_inodes=65536,mode=0700")
    for root in sorted(staged, key=len):  # Python itself lives under /tmp: bind it back, read-only
        os.makedirs(root, exist_ok=True)
        _mount(SANDBOX_STAGE + root, root, None, MS_BIND | MS_REC)
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


# --------------------------------------------------------------------------------------------------
# The audit hook: refusals, and the channel the recorder uses to reach the evidence


@dataclass(frozen=True)
class Policy:
    """What kata code in one job may touch."""

    area: str  # the job's own folder (its scratch and its kata module): the only place anyone writes
    trusted: tuple[str, ...]  # where trusted code lives: site-packages, the grading tree, the runtime
    stdlib: tuple[str, ...]  # the standard library: neither trusted nor kata code (see kata_driven)
    deny_read: tuple[str, ...] = ()  # folders no code may read (without bwrap: the reference, others)
    grading_tree: str = ""  # named in the reason when something tries to write there
    # standard modules that look at a frame only for a name (namedtuple's module, logging's caller)
    names_only: frozenset[str] = frozenset()
    traceback: str = ""  # traceback.py: reads a caught exception's frames to print them


def policy_for(area: str, grading_tree: str, runtime: str, deny_read=()) -> Policy:
    def prefix(path: str) -> str:
        return os.path.realpath(path).rstrip(os.sep) + os.sep

    paths = sysconfig.get_paths()
    packages = [*site.getsitepackages(), paths["purelib"], paths["platlib"]]
    user = site.getusersitepackages()
    if isinstance(user, str):
        packages.append(user)
    trusted = {prefix(p) for p in [*packages, grading_tree, runtime]} | {p.rstrip(os.sep) + os.sep for p in packages}
    stdlib = {prefix(paths["stdlib"]), prefix(paths["platstdlib"]), "<frozen "}
    names_only = frozenset(os.path.join(paths["stdlib"], name) for name in NAMES_ONLY)
    return Policy(prefix(area), tuple(sorted(trusted)), tuple(sorted(stdlib)),
                  tuple(prefix(p) for p in deny_read), prefix(grading_tree), names_only,
                  os.path.join(paths["stdlib"], "traceback.py"))


NAMES_ONLY = ("collections/__init__.py", "enum.py", "typing.py", "dataclasses.py", "logging/__init__.py",
              "warnings.py")


PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                  "os.forkpty", "pty.spawn", "os.startfile"}
NETWORK_EVENTS = {"socket.connect", "socket.bind", "socket.getaddrinfo", "socket.sendto",
                  "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo"}
INSPECTION_EVENTS = {  # what reaches the grader's objects or memory: refused when kata code asks
    "sys._getframe": "the grader's frames", "sys._current_frames": "the grader's frames",
    "sys._current_exceptions": "the grader's frames", "sys.settrace": "a trace function",
    "sys.setprofile": "a profile function", "gc.get_objects": "the garbage collector",
    "gc.get_referrers": "the garbage collector", "gc.get_referents": "the garbage collector",
    "code.__new__": "new code objects", "marshal.loads": "new code objects", "marshal.load": "new code objects",
}
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"}
FUNCTION_ATTRIBUTES = {"__code__", "__defaults__", "__kwdefaults__"}
PATH_EVENTS = {  # event -> positions of (read paths, written paths) in its arguments
    "open": None, "os.listdir": ((0,), ()), "os.scandir": ((0,), ()), "os.link": ((0,), (1,)),
    "os.symlink": ((), (1,)), "os.rename": ((0,), (0, 1)), "os.remove": ((), (0,)), "os.rmdir": ((), (0,)),
    "os.mkdir": ((), (0,)), "os.chmod": ((), (0,)), "os.chown": ((), (0,)), "os.truncate": ((), (0,)),
    "os.utime": ((), (0,)), "shutil.rmtree": ((), (0,)),
}
WRITING = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
WRITABLE_DEVICES = {"/dev/null"}


def install_audit(policy: Policy, evidence: "Evidence", bottom=None) -> None:
    """Install the kata job's audit hook (hooks cannot be removed). It refuses, and records:
    processes, the network, signals to other processes and files outside the job's folder, always;
    frames, gc, ctypes, tracing and new code objects when kata code asks for them. It also serves
    the recorder's ``classroom.*`` events, so that the evidence is reachable from this closure only.
    ``bottom`` is the code of the job's entry function: the frames below it are the zygote's.
    """
    from sys import _getframe

    getpid, realpath, get_ident = os.getpid, os.path.realpath, threading.get_ident
    violations, snapshot = evidence.violations, evidence.snapshot
    trusted, stdlib, area = policy.trusted, policy.stdlib, policy.area
    busy: set[int] = set()  # threads inside the hook (its own frame lookups raise events too)
    kata_threads: set[int] = set()  # threads that kata code started
    start_thread = _thread_starter()

    def refuse(reason: str) -> None:
        if reason not in violations:
            violations.append(reason)
        raise PermissionError(f"not allowed while grading: {reason}")

    def kata_driven(frame) -> bool:
        """Kata code asked for this: the first frame below the standard library is not trusted code
        (a kata module, or code it compiled). The standard library only passes requests on, so
        `inspect.currentframe()` from a kata counts as the kata's, and from torch as torch's."""
        if get_ident() in kata_threads:
            return True
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(trusted):
                return False
            if not name.startswith(stdlib):
                return True
            frame = frame.f_back
        return False

    def kata_on_stack(frame) -> bool:
        if get_ident() in kata_threads:
            return True
        while frame is not None:
            code = frame.f_code
            if code is bottom:
                return False
            if not code.co_filename.startswith(trusted) and not code.co_filename.startswith(stdlib):
                return True
            frame = frame.f_back
        return False

    def paths(event: str, args: tuple) -> tuple[list, list]:
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & WRITING))
            return ([], [path]) if write else ([path], [])
        reads, writes = PATH_EVENTS[event]
        return [args[i] for i in reads if i < len(args)], [args[i] for i in writes if i < len(args)]

    def resolve(path) -> str | None:
        if isinstance(path, PurePath):
            path = str(path)
        elif isinstance(path, bytes):
            path = path.decode(errors="surrogateescape")
        elif not isinstance(path, str):
            return None  # a file descriptor, or None: nothing to resolve
        return realpath(path)

    def check_files(event: str, args: tuple, frame) -> None:
        reads, writes = paths(event, args)
        for path, writing in [*((p, False) for p in reads), *((p, True) for p in writes)]:
            if path is None or isinstance(path, int):
                continue
            real = resolve(path)
            if real is None:  # an object of kata code's own that pretends to be a path
                refuse(f"tried to open a file through an object of type {type(path).__name__} (not a path)")
            folder = real.rstrip("/") + "/"
            if writing and not folder.startswith(area) and real not in WRITABLE_DEVICES:
                where = "the grading tree" if folder.startswith(policy.grading_tree) else "outside its scratch folder"
                refuse(f"tried to write {real} ({where}): kata code may write only in its working directory "
                       f"and next to its own module ({area})")
            if any(folder.startswith(p) for p in policy.deny_read) and not folder.startswith(area):
                refuse(f"tried to read {real}, outside what a kata may read (the reference solutions or "
                       "another submission)")
            if (folder.startswith("/proc/") or real.endswith("/mem")) and kata_driven(frame):
                refuse(f"tried to read {real} (the grader's process)")

    def hook(event: str, args: tuple) -> None:
        if event == "object.__getattr__":
            if args[1] not in FRAME_ATTRIBUTES:
                return
        elif event in ("object.__setattr__", "object.__delattr__"):
            if args[1] not in FUNCTION_ATTRIBUTES or id(args[0]) not in snapshot.functions:
                return
        elif not (event in PATH_EVENTS or event in INSPECTION_EVENTS or event in PROCESS_EVENTS
                  or event in NETWORK_EVENTS or event.startswith(("classroom.", "ctypes.", "os.kill"))):
            return
        thread = get_ident()
        if thread in busy:
            return
        busy.add(thread)
        try:
            frame = _getframe(1)
            if event in PATH_EVENTS:
                check_files(event, args, frame)
            elif event in PROCESS_EVENTS:
                refuse(f"tried to start a process ({event})")
            elif event in NETWORK_EVENTS:
                refuse(f"tried to use the network ({event})")
            elif event == "os.kill" or event == "os.killpg":
                if event == "os.killpg" or args[0] != getpid():
                    refuse(f"tried to signal another process ({event} {args[0]})")
            elif event == "object.__getattr__":
                # traceback.py printing a caught exception reads its frames, and keeps them to itself
                printing = frame.f_code.co_filename == policy.traceback and frame.f_back is not None \
                    and frame.f_back.f_code.co_filename == policy.traceback
                if not printing and kata_driven(frame):
                    refuse(f"tried to reach the grader's frames ({type(args[0]).__name__}.{args[1]})")
            elif event in ("object.__setattr__", "object.__delattr__"):
                refuse(f"tampered: replaced {snapshot.functions[id(args[0])]}.{args[1]}")
            elif event.startswith("classroom."):
                serve(event, args, frame)
            elif event.startswith("marshal.") and frame.f_code.co_filename.startswith("<frozen importlib"):
                pass  # importing a module: its bytecode
            elif event == "sys._getframe" and frame.f_code.co_filename in policy.names_only:
                pass  # namedtuple, Enum, typing, logging: the caller's module name, never the frame itself
            elif kata_driven(frame):
                refuse(f"tried to use {INSPECTION_EVENTS.get(event, 'ctypes')} ({event})")
        finally:
            busy.discard(thread)

    def serve(event: str, args: tuple, frame) -> None:
        if event == "classroom.checkpoint":
            evidence.checkpoint(*args)
        elif event == "classroom.monkeypatch":  # pytest's monkeypatch changes something, for a test
            if kata_driven(frame.f_back):  # who called monkeypatch (frame is the runtime's wrapper)
                refuse("tampered: used pytest's monkeypatch from kata code")
            name, done = args
            if done:
                snapshot.rebase()
            else:
                evidence.checkpoint(f"before monkeypatch.{name}")
        elif event == "classroom.report":  # pytest's own outcome of one phase of one test
            if kata_on_stack(frame):
                refuse("tampered: made up a test report")
            evidence.record(*args)
        elif event == "classroom.baseline":
            evidence.baseline(*args)
        elif event == "classroom.limit":
            evidence.note(args[0])
        elif event == "classroom.thread":  # threading wants a thread: kata code's are marked
            function, arguments, keywords = args
            if kata_driven(frame.f_back):  # who asked for the thread (frame is _start_new_thread)
                start_thread(_marked(function, kata_threads), arguments, keywords)
            else:
                start_thread(function, arguments, keywords)

    sys.addaudithook(hook)
    _route_threads()


def _thread_starter():
    import _thread

    return _thread.start_new_thread


def _marked(function, kata_threads: set):
    def run(*args, **kwargs):
        kata_threads.add(threading.get_ident())
        return function(*args, **kwargs)

    return run


def _start_new_thread(function, args, kwargs=None):
    """Threads start through the audit hook, which marks the ones kata code starts (their code then
    counts as kata code). Returns None: nothing in the standard library uses the identifier."""
    sys.audit("classroom.thread", function, args, kwargs or {})


def _route_threads() -> None:
    import _thread

    _thread.start_new_thread = _thread.start_new = _start_new_thread
    threading._start_new_thread = _start_new_thread


# --------------------------------------------------------------------------------------------------
# The snapshot: what decides a verdict, as it was before any kata code ran


_MISSING = object()
# set by the interpreter and pytest, not by kata code: the warnings module, copyreg when a tensor is
# pickled, pytest for every failing test
_IGNORED = {"__warningregistry__", "__slotnames__", "last_type", "last_value", "last_traceback", "last_exc"}
# pytest items change these while their test runs
_ITEM_STATE = {"funcargs", "_request", "_report_sections", "user_properties"}
_MAX_OBJECTS = 50000


class _Part:
    """References kept to compare by identity, in C loops where it matters."""

    def __init__(self) -> None:
        self.dicts: list[list] = []  # [label, live, copy, its values, strict, volatile]
        self.lists: list[tuple[str, list, tuple]] = []
        self.cells: list[tuple[str, tuple, tuple]] = []  # label, closure cells, their contents
        self.tensors: list[tuple[str, object, int]] = []
        self.conditions: list[tuple[str, object]] = []  # label, function that returns True while intact

    def changed(self, found: list) -> None:
        is_ = operator.is_
        for entry in self.dicts:
            label, live, saved, values, strict, volatile = entry
            if len(live) == len(values) and all(map(is_, live.values(), values)):
                continue  # the usual case, and the fast one: same values in the same order
            removed = [name for name, value in saved.items()
                       if name not in _IGNORED and name not in volatile and live.get(name, _MISSING) is not value]
            added = [name for name in live if name not in saved and name not in _IGNORED]
            found += [_name(label, name) for name in removed + (added if strict else [])]
            if not removed and (not added or not strict):  # only what may change did: the new reference
                entry[2], entry[3] = dict(live), tuple(live.values())
        for label, live, saved in self.lists:
            if len(live) != len(saved) or not all(map(is_, live, saved)):
                found.append(label)
        for label, cells, contents in self.cells:
            if not all(map(is_, _contents(cells), contents)):
                found.append(label)
        for label, tensor, version in self.tensors:
            if tensor._version != version:
                found.append(f"{label} (its values)")
        for label, holds in self.conditions:
            try:
                intact = holds()
            except Exception:
                intact = False
            if not intact:
                found.append(label)

    def rebase(self) -> None:
        for entry in self.dicts:
            entry[2], entry[3] = dict(entry[1]), tuple(entry[1].values())
        self.lists = [(label, live, tuple(live)) for label, live, _ in self.lists]
        self.cells = [(label, cells, _contents(cells)) for label, cells, _ in self.cells]
        self.tensors = [(label, tensor, tensor._version) for label, tensor, _ in self.tensors]


class Snapshot:
    """What the tests trust, as it was before any kata code ran: compared by identity (never ==, which
    kata code could override). The vital part (what a comparison uses: torch, the harness, the test
    module and its tables, torch's mode stacks) is compared at every assertion helper call; the
    rest (pytest, pluggy, the items, the recorder) after every test and at the end."""

    def __init__(self) -> None:
        self.vital, self.rest = _Part(), _Part()
        self.part = self.rest  # where additions go
        self.functions: dict[int, str] = {}  # id -> label of every function covered (its code is guarded)
        self._seen: set[int] = set()
        self._keep: list[object] = []  # keeps covered objects alive, so that ids are not reused

    # -- what to cover ---------------------------------------------------------------------------

    def namespace(self, label: str, owner, *, strict: bool = False, deep: bool = False, data: bool = False) -> None:
        """A module's or class's attributes; ``deep``: also its functions and its own classes;
        ``data``: also the tables (dicts, lists, sets, objects) it holds."""
        live = owner.__dict__ if isinstance(owner, type) else vars(owner)
        if not self._first(owner):
            return
        # A new attribute on a class can shadow an inherited one (Tensor.__eq__); modules legitimately
        # gain attributes (lazily imported submodules), so additions count where strict only.
        self._dict(label, live, strict)
        module_name = live.get("__name__") if not isinstance(owner, type) else live.get("__module__")
        for name, value in list(live.items()):
            # only plain functions, classes and containers: any other getattr could run kata code
            if deep and type(value) is types.FunctionType:  # named where it is defined
                self.function(f"{value.__module__}.{value.__qualname__}" if value.__module__ else f"{label}.{name}",
                              value, data)
            elif deep and type(value) is type and value.__dict__.get("__module__") == module_name:
                self.namespace(f"{label}.{name}", value, strict=False, deep=True, data=data)
            elif deep and type(value) in (classmethod, staticmethod) and type(value.__func__) is types.FunctionType:
                self.function(f"{label}.{name}", value.__func__, data)
            elif deep and type(value) is property:
                for part in (value.fget, value.fset, value.fdel):
                    if type(part) is types.FunctionType:
                        self.function(f"{label}.{name}", part, data)
            elif data and not name.startswith("__"):
                self.data(f"{label}.{name}", value)

    def function(self, label: str, function: types.FunctionType, data: bool = True) -> None:
        """A function: its code and defaults (replacing them is refused at once), the contents of its
        keyword defaults, closure and attributes."""
        if not self._first(function):
            return
        self.functions[id(function)] = label
        if function.__kwdefaults__:
            self._dict(f"{label}.__kwdefaults__", function.__kwdefaults__, True)
        if function.__dict__:
            self._dict(f"{label}.__dict__", function.__dict__, True)
        for value in function.__defaults__ or ():
            self.data(f"{label}.__defaults__", value)
        if function.__closure__:
            self.part.cells.append((f"{label} (its closure)", function.__closure__, _contents(function.__closure__)))
            if data:
                for value in _contents(function.__closure__):
                    self.data(f"{label} (its closure)", value)

    def data(self, label: str, value, depth: int = 4) -> None:
        """A table the tests read: dicts, lists, sets, tuples and plain objects, ``depth`` levels down."""
        kind = type(value)
        if depth < 0 or kind in (str, bytes, int, float, bool, complex, type(None)) or len(self._seen) > _MAX_OBJECTS:
            return
        if kind is types.FunctionType:
            self.function(label, value)
            return
        if isinstance(value, (type, types.ModuleType)) or not self._first(value):
            return
        if kind is dict:
            self._dict(label, value, True)
            for key, item in list(value.items()):
                self.data(f"{label}[{key!r}]" if len(repr(key)) < 40 else label, item, depth - 1)
        elif kind is list:
            self.part.lists.append((label, value, tuple(value)))
            for item in value:
                self.data(label, item, depth - 1)
        elif kind in (tuple, frozenset):
            for item in value:
                self.data(label, item, depth - 1)
        elif kind is set:
            self.part.conditions.append((label, _same_set(value)))
        elif _is_tensor(value):
            self.part.tensors.append((label, value, value._version))
        elif type(getattr(value, "__dict__", None)) is dict and not kind.__module__.startswith("torch"):
            # a plain object (a frozen dataclass of test cases, say): object.__setattr__ gets past frozen
            self._dict(f"{label} (its attributes)", vars(value), True)
            for name, item in list(vars(value).items()):
                self.data(f"{label}.{name}", item, depth - 1)

    def item(self, label: str, item) -> None:
        """A collected pytest item: its test function, parameters, markers and the function it checks."""
        if not self._first(item):
            return
        self._dict(label, item.__dict__, False, _ITEM_STATE)
        obj = item.__dict__.get("_obj") or item.__dict__.get("obj")
        if type(obj) is types.FunctionType:
            self.function(f"{label} (its test function)", obj)
        callspec = item.__dict__.get("callspec")
        if callspec is not None:
            self.data(f"{label} (its parameters)", getattr(callspec, "params", None))
        self.data(f"{label} (its markers)", item.__dict__.get("own_markers"))
        storage = getattr(getattr(item, "stash", None), "_storage", None)
        key = getattr(sys.modules.get("katas.harness.plugin"), "CHECKS", None)
        if isinstance(storage, dict) and key in storage:  # which kata function the test checks
            checks = storage[key]
            self.condition(f"{label} (the kata function it checks)", lambda: storage.get(key) is checks)

    def condition(self, label: str, holds) -> None:
        self.part.conditions.append((label, holds))

    def _first(self, value) -> bool:
        if id(value) in self._seen:
            return False
        self._seen.add(id(value))
        self._keep.append(value)
        return True

    def _dict(self, label: str, live: dict, strict: bool, volatile=frozenset()) -> None:
        self.part.dicts.append([label, live, dict(live), tuple(live.values()), strict, frozenset(volatile)])

    # -- comparing -------------------------------------------------------------------------------

    def changed(self, full: bool = True) -> list[str]:
        """What differs from the snapshot, as labels; [] when everything is intact."""
        found: list[str] = []
        self.vital.changed(found)
        if full:
            self.rest.changed(found)
        return list(dict.fromkeys(found))

    def rebase(self) -> None:
        """Take the live state as the new reference (after pytest's monkeypatch, which tests use)."""
        self.vital.rebase()
        self.rest.rebase()

    # -- what every kata job covers --------------------------------------------------------------

    def take_core(self) -> None:
        """torch, the standard modules the tests use, pytest and pluggy, the harness and the grading
        runtime: taken before any kata code runs."""
        import builtins
        import math

        import _pytest.fixtures
        import _pytest.monkeypatch
        import _pytest.outcomes
        import _pytest.python
        import _pytest.reports
        import _pytest.runner
        import pluggy._callers
        import pluggy._hooks
        import pluggy._manager
        import pytest
        import torch
        import torch.nn.functional

        self.part = self.vital
        for label, module in [("builtins", builtins), ("math", math), ("operator", operator), ("sys", sys),
                              ("torch", torch), ("torch.nn.functional", torch.nn.functional),
                              ("torch.testing", torch.testing)]:
            self.namespace(label, module)
        tensor_base = getattr(torch._C, "TensorBase", None) or getattr(torch._C, "_TensorBase")
        for label, cls in [("torch.Tensor", torch.Tensor), ("torch._C.TensorBase", tensor_base)]:
            self.namespace(label, cls, strict=True)
        import katas.harness.checks  # noqa: F401  the package loads its helpers lazily: snapshot them too
        import katas.harness.loader  # noqa: F401

        for name in sorted(n for n in sys.modules if n.startswith("katas.harness")):
            self.namespace(name, sys.modules[name], deep=True, data=True)
        from katas.harness import emulated_cuda  # its modes are the harness's: CUDA emulated on the CPU

        self.condition("a torch function mode (torch.overrides.TorchFunctionMode) left active",
                       emulated_cuda.no_foreign_function_mode)
        self.condition("a torch dispatch mode (TorchDispatchMode) left active",
                       emulated_cuda.no_foreign_dispatch_mode)
        hooks = getattr(torch._C._autograd, "_top_saved_tensors_default_hooks", None)
        if hooks is not None:
            self.condition("an autograd saved-tensors hook left active", lambda: hooks(False) is None)

        self.part = self.rest
        for label, module in [("os", os), ("os.path", os.path), ("torch.linalg", torch.linalg),
                              ("torch.special", torch.special), ("torch.autograd", torch.autograd)]:
            self.namespace(label, module)
        for name in ("torch.func", "torch.distributions", "torch.optim", "torch.autograd.forward_ad",
                     "torch.autograd.functional", "torch.nn.utils.parametrize", "torch.nn.init", "torch.overrides",
                     "torch.testing._comparison"):
            if name in sys.modules:
                self.namespace(name, sys.modules[name])
        for label, cls in [("torch.nn.Module", torch.nn.Module), ("torch.nn.Parameter", torch.nn.Parameter)]:
            self.namespace(label, cls, strict=True)
        for label, module in [("pytest", pytest), ("_pytest.runner", _pytest.runner),
                              ("_pytest.reports", _pytest.reports), ("_pytest.outcomes", _pytest.outcomes),
                              ("_pytest.python", _pytest.python), ("_pytest.fixtures", _pytest.fixtures),
                              ("_pytest.monkeypatch", _pytest.monkeypatch), ("pluggy._hooks", pluggy._hooks),
                              ("pluggy._manager", pluggy._manager), ("pluggy._callers", pluggy._callers)]:
            self.namespace(label, module, deep=True)
        for name in ("pytest_timeout", "_pytest.skipping", "_pytest.terminal", "_pytest.main"):
            if name in sys.modules:
                self.namespace(name, sys.modules[name], deep=True)
        for name in sorted(n for n in sys.modules if n == "classroom" or n.startswith("classroom.")):
            self.namespace(name, sys.modules[name], deep=True)

    def take_run(self, session, recorder) -> None:
        """At the end of collection, before the first test: the test modules and their tables, the
        collected items, the plugins and hooks pytest calls, and the recorder."""
        self.part = self.vital
        modules = {item.module.__name__: item.module for item in session.items if getattr(item, "module", None)}
        for name, module in modules.items():
            self.namespace(f"test module {name}", module, deep=True, data=True)
        self.part = self.rest
        self.part.lists.append(("the collected test items", session.items, tuple(session.items)))
        for item in session.items:
            self.item(f"test item {item.nodeid}", item)
        manager = session.config.pluginmanager
        self._dict("pytest's plugins", manager._name2plugin, True)
        for name, caller in vars(manager.hook).items():
            implementations = getattr(caller, "_hookimpls", None)
            if isinstance(implementations, list):
                self.part.lists.append((f"pytest's {name} hook", implementations, tuple(implementations)))
        self._dict("the recorder", vars(recorder), True)
        for plugin in manager.get_plugins():
            if plugin is not recorder and type(plugin).__module__.startswith(("katas.harness", "classroom")):
                self._dict(f"plugin {type(plugin).__name__}", vars(plugin), True)


def _name(label: str, name) -> str:
    if label.endswith("__kwdefaults__") or label.endswith("(its attributes)"):
        return f"{label}[{name!r}]"
    return f"{label}.{name}" if isinstance(name, str) else f"{label}[{name!r}]"


def _contents(cells) -> tuple:
    contents = []
    for cell in cells:
        try:
            contents.append(cell.cell_contents)
        except ValueError:
            contents.append(_MISSING)
    return tuple(contents)


def _same_set(value: set):
    saved = frozenset(value)
    return lambda: len(value) == len(saved) and all(map(value.__contains__, saved))


def _is_tensor(value) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


@dataclass
class Evidence:
    """What the hook keeps for the recorder, out of kata code's reach: the snapshot, the violations
    seen, and pytest's own outcome of every test phase (to hold the harness's report against)."""

    snapshot: Snapshot = field(default_factory=Snapshot)
    violations: list[str] = field(default_factory=list)
    outcomes: dict[str, dict[str, str]] = field(default_factory=dict)  # nodeid -> when -> outcome
    made_up: list[str] = field(default_factory=list)
    baselined: bool = False

    def baseline(self, session, recorder) -> None:
        if self.baselined:
            self.note("tampered: asked for a second baseline")
            return
        self.baselined = True
        self.snapshot.take_run(session, recorder)

    def checkpoint(self, when: str, full: bool = True) -> None:
        if any(v.startswith("tampered") for v in self.violations):
            return  # once is enough, and the first says what changed
        changed = self.snapshot.changed(full)
        if changed:
            more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
            self.note(f"tampered: changed {', '.join(changed[:5])}{more} (seen {when}): kata code may not change "
                      "torch, pytest, the harness or the tests that check it")

    def record(self, nodeid: str, when: str, outcome: str) -> None:
        phases = self.outcomes.setdefault(nodeid, {})
        if when in phases:
            self.note(f"tampered: a second report for {nodeid} ({when})")
        phases[when] = outcome

    def note(self, text: str) -> None:
        if text not in self.violations:
            self.violations.append(text)
