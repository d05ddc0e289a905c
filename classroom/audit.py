"""The kata job's audit hook: what kata code may do in its own process while its tests run.

It refuses, and records as a violation: starting processes, the network, signals to other processes,
writes outside the job's folder, reading the grader's process or what the job may not read; and,
when kata code asks for them, frames, the garbage collector, tracing, ctypes and new code objects.
Standard-library helpers that look at a frame only to name it (namedtuple, Enum, typing, logging's
caller, the traceback module's stack and exception formatting) are let through, each recognised by
its code object and the code object that must have called it, never by a file name kata code could
claim. It also serves the job's ``classroom.*`` events, so that the evidence (``tamper``) is
reachable from its closure only. Kata code shares this process, so this raises the bar and leaves
evidence; the judge (values confirmed outside this process) is what the grade rests on.
"""

from __future__ import annotations

import importlib
import inspect
import os
import site
import sys
import sysconfig
import threading
import traceback
from dataclasses import dataclass
from pathlib import PurePath

from .tamper import Evidence

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
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
FUNCTION_ATTRIBUTES = {"__code__", "__defaults__", "__kwdefaults__"}
PATH_EVENTS = {  # event -> positions of (read paths, written paths) in its arguments
    "open": None, "os.listdir": ((0,), ()), "os.scandir": ((0,), ()), "os.link": ((0,), (1,)),
    "os.symlink": ((), (1,)), "os.rename": ((0,), (0, 1)), "os.remove": ((), (0,)), "os.rmdir": ((), (0,)),
    "os.mkdir": ((), (0,)), "os.chmod": ((), (0,)), "os.chown": ((), (0,)), "os.truncate": ((), (0,)),
    "os.utime": ((), (0,)), "shutil.rmtree": ((), (0,)),
}
WRITING = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
# The job's own output (its watcher keeps it), however it is named.
OWN_OUTPUT = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/fd/1", "/dev/fd/2", "/proc/self/fd/1",
              "/proc/self/fd/2"}
# What a process may read about itself in /proc (memory use, limits), never its memory or descriptors.
OWN_STATUS = {"status", "statm", "stat", "limits", "io", "cgroup", "smaps_rollup", "sched", "comm", "cmdline"}


@dataclass(frozen=True)
class Policy:
    """What kata code in one job may touch."""

    area: str  # the job's own folder (its scratch and its kata module)
    trusted: tuple[str, ...]  # where trusted code lives: site-packages, the grading tree, the runtime
    stdlib: tuple[str, ...]  # the standard library: neither trusted nor kata code (see kata_driven)
    grading_tree: str  # read-only to kata code
    deny: tuple[str, ...] = ()  # folders kata code may neither read nor write (without the sandbox)
    scratch: tuple[str, ...] = ()  # without the sandbox: /tmp, written as it would be locally
    scratch_mb: int = 0  # without the sandbox: what its files in /tmp may hold together


def policy_for(area: str, grading_tree: str, runtime: str, deny=(), isolated: bool = True,
               disk_mb: int = 0) -> Policy:
    def prefix(path: str) -> str:
        return os.path.realpath(path).rstrip(os.sep) + os.sep

    paths = sysconfig.get_paths()
    packages = [*site.getsitepackages(), paths["purelib"], paths["platlib"]]
    user = site.getusersitepackages()
    if isinstance(user, str):
        packages.append(user)
    trusted = {prefix(p) for p in [*packages, grading_tree, runtime]} | {p.rstrip(os.sep) + os.sep for p in packages}
    stdlib = {prefix(paths["stdlib"]), prefix(paths["platstdlib"]), "<frozen "}
    scratch = () if isolated else tuple({prefix("/tmp"), prefix(os.environ.get("TMPDIR", "/tmp"))})
    return Policy(prefix(area), tuple(sorted(trusted)), tuple(sorted(stdlib)), prefix(grading_tree),
                  tuple(prefix(p) for p in deny), scratch, disk_mb)


# Standard-library code that asks for a frame only to read a name or a line from it, and hands no frame
# back: (its module, its name) -> the name of the code that must be calling it (None: any caller).
FRAME_USERS = {
    ("collections", "namedtuple"): None,
    ("enum", "EnumType._create_"): None,
    ("enum", "EnumMeta._create_"): None,  # its name before Python 3.11
    ("typing", "_caller"): None,
    ("logging", "currentframe"): "Logger.findCaller",
    ("traceback", "extract_stack"): None,
    ("traceback", "format_stack"): None,
    ("traceback", "print_stack"): None,
    ("traceback", "walk_tb"): "StackSummary._extract_from_extended_frame_gen",
    ("traceback", "_walk_tb_with_full_positions"): "StackSummary._extract_from_extended_frame_gen",
    ("warnings", "warn"): None,
}


def frame_users() -> dict:
    """FRAME_USERS as code objects (those this Python has: warnings.warn is usually C code)."""
    def code(module: str, name: str):
        value = importlib.import_module(module)
        for part in name.split("."):
            value = getattr(value, part, None)
        return getattr(value, "__code__", None)

    found = {}
    for (module, name), caller in FRAME_USERS.items():
        asking = code(module, name)
        if asking is not None:
            found[asking] = code(module, caller) if caller else None
    return found


def scratch_mb(paths: list[str]) -> float:
    """What the files a job wrote outside its folder (/tmp, without the sandbox) hold now, in MiB."""
    total = 0
    for path in paths:
        try:
            total += os.lstat(path).st_size
        except OSError:
            pass
    return total / (1 << 20)


def stack_without_frames(context: int = 1) -> list[inspect.FrameInfo]:
    """inspect.stack() in a grading job: the same names, files and lines, and no frame objects."""
    entries = traceback.extract_stack()[:-1]
    return [inspect.FrameInfo(None, entry.filename, entry.lineno, entry.name,
                              [entry.line + "\n"] if entry.line else None, 0 if entry.line else None)
            for entry in reversed(entries)]


def install_audit(policy: Policy, evidence: Evidence, bottom=None) -> None:
    """Install the hook (hooks cannot be removed). ``bottom`` is the code of the job's entry
    function: the frames below it are the zygote's."""
    from builtins import any, bytes, id, int, isinstance, len, str, type  # bound here: kata code may rebind builtins
    from sys import _getframe

    getpid, realpath, get_ident = os.getpid, os.path.realpath, threading.get_ident
    violations, snapshot, scratch_files = evidence.violations, evidence.snapshot, evidence.scratch_files
    trusted, stdlib, area = policy.trusted, policy.stdlib, policy.area
    users = frame_users()
    busy: set[int] = set()  # threads inside the hook (its own frame lookups raise events too)
    kata_threads: set[int] = set()  # threads that kata code started
    start_thread = _thread_starter()
    inspect.stack = stack_without_frames

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

    def names_only(frame) -> bool:
        """The frame asking is a standard-library helper that keeps the frame to itself."""
        code = frame.f_code
        if code not in users:
            return False
        caller = users[code]
        return caller is None or (frame.f_back is not None and frame.f_back.f_code is caller)

    def paths(event: str, args: tuple) -> tuple[list, list]:
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and bool(flags & WRITING))
            return ([], [path]) if write else ([path], [])
        reads, writes = PATH_EVENTS[event]
        return [args[i] for i in reads if i < len(args)], [args[i] for i in writes if i < len(args)]

    def as_text(path) -> str | None:
        if isinstance(path, PurePath):
            return str(path)
        if isinstance(path, bytes):
            return path.decode(errors="surrogateescape")
        return path if isinstance(path, str) else None

    def own_status(real: str) -> bool:
        parts = real.split("/")
        return len(parts) == 4 and parts[1] == "proc" and parts[2] in (str(getpid()), "self", "thread-self") \
            and parts[3] in OWN_STATUS

    def check_files(event: str, args: tuple, frame) -> None:
        reads, writes = paths(event, args)
        for path, writing in [*((p, False) for p in reads), *((p, True) for p in writes)]:
            if path is None or isinstance(path, int):
                continue  # a file descriptor: opened earlier, under this same check
            given = as_text(path)
            if given is None:  # an object of kata code's own that pretends to be a path
                refuse(f"tried to open a file through an object of type {type(path).__name__} (not a path)")
            if given in OWN_OUTPUT:
                continue
            real = realpath(given)
            folder = real.rstrip("/") + "/"
            mine = folder.startswith(area)
            if any(folder.startswith(p) for p in policy.deny) and not mine:
                refuse(f"tried to {'write' if writing else 'read'} {real}, outside what a kata may touch (the "
                       "reference solutions, another submission or the grader's files)")
            if writing and not mine and not folder.startswith(policy.scratch or (area,)):
                where = "the grading tree" if folder.startswith(policy.grading_tree) else "outside its scratch folder"
                refuse(f"tried to write {real} ({where}): kata code may write only in its working directory, "
                       f"next to its own module and in /tmp")
            if writing and folder.startswith(policy.grading_tree):
                refuse(f"tried to write {real} (the grading tree)")
            if writing and not mine and real not in scratch_files:  # a file of its own in /tmp, without the sandbox
                if scratch_mb(scratch_files) >= policy.scratch_mb:
                    refuse(f"filled its scratch space: wrote more than {policy.scratch_mb} MiB in /tmp")
                scratch_files.append(real)
            if (folder.startswith("/proc/") or real.endswith("/mem")) and not own_status(real) and kata_driven(frame):
                refuse(f"tried to read {real} (the grader's process)")

    def hook(event: str, args: tuple) -> None:
        if event == "object.__getattr__":
            if args[1] not in FRAME_ATTRIBUTES:
                return
        elif event in ("object.__setattr__", "object.__delattr__"):
            if args[1] not in FUNCTION_ATTRIBUTES or id(args[0]) not in snapshot.functions:
                return
        elif not (event in PATH_EVENTS or event in INSPECTION_EVENTS or event in PROCESS_EVENTS
                  or event in NETWORK_EVENTS or event == "compile"
                  or event.startswith(("classroom.", "ctypes.", "os.kill"))):
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
                if not names_only(frame) and kata_driven(frame):
                    refuse(f"tried to reach the grader's frames ({type(args[0]).__name__}.{args[1]})")
            elif event in ("object.__setattr__", "object.__delattr__"):
                refuse(f"tampered: replaced {snapshot.functions[id(args[0])]}.{args[1]}")
            elif event == "compile":
                claimed = as_text(args[1]) or ""
                if claimed.startswith(trusted + stdlib) and kata_driven(frame):
                    refuse(f"tried to compile code that claims to come from {claimed}")
            elif event.startswith("classroom."):
                serve(event, args, frame)
            elif event.startswith("marshal.") and frame.f_code.co_filename.startswith("<frozen importlib"):
                pass  # importing a module: its bytecode
            elif event == "sys._getframe" and names_only(frame):
                pass
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
