"""Confinement and tamper evidence inside a kata's grading process: an audit hook that refuses
reads of protected folders, writes into the grading tree, new processes and the network; and a
snapshot of what the tests trust, to notice kata code that changed it."""

from __future__ import annotations

import operator
import os
import sys
import types

from .pool import Job

def install_audit(job: Job, violations: list) -> None:
    """Refuse, and record, reads of protected folders, writes into the grading tree, new processes and
    network use. Audit hooks cannot be removed; what they cannot see (ctypes, raw syscalls) stays open."""
    realpath, fspath, append = os.path.realpath, os.fspath, violations.append
    deny_read, deny_write = job.deny_read, job.deny_write
    writing = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
    processes = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork",
                 "os.forkpty", "pty.spawn", "os.startfile"}

    def refuse(reason: str) -> None:
        append(reason)
        raise PermissionError(f"not allowed while grading: {reason}")

    def hook(event: str, args: tuple) -> None:
        if event == "open":
            path, mode, flags = args
            write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & writing)
        elif event in ("os.listdir", "os.scandir"):
            path, write = args[0], False
        elif event in processes:
            refuse(f"tried to start a process ({event})")
            return
        elif event in ("socket.connect", "socket.bind", "socket.getaddrinfo"):
            refuse(f"tried to use the network ({event})")
            return
        else:
            return
        if path is None or isinstance(path, int):
            return
        try:
            real = realpath(fspath(path))
        except Exception:
            return
        real = real if isinstance(real, str) else real.decode(errors="replace")
        folder = real.rstrip("/") + "/"
        if any(folder.startswith(p) for p in deny_read):
            refuse(f"tried to read {real}, outside what a kata may read (the reference solutions or "
                   "another submission)")
        if write and any(folder.startswith(p) for p in deny_write):
            refuse(f"tried to write {real} (the grading tree or a submission)")

    sys.addaudithook(hook)


class Snapshot:
    """Identity of the functions and attributes the tests trust, to notice monkeypatching."""

    # set by the interpreter, not by kata code: the warnings module, and copyreg when a tensor is pickled
    _IGNORED = {"__warningregistry__", "__slotnames__"}

    def __init__(self) -> None:
        self.namespaces: list[tuple[str, object, dict, bool]] = []  # label, live dict, copy, additions count
        self.codes: list[tuple[str, object, object]] = []
        self.containers: list[tuple[str, object, object]] = []

    def add(self, label: str, namespace, is_class: bool, deep: bool = False, containers: bool = False) -> None:
        live = namespace.__dict__ if is_class else vars(namespace)
        # a new attribute on a class can shadow an inherited one (Tensor.__eq__); pytest's own classes
        # legitimately gain flags at run time, so additions count for the torch classes only
        self.namespaces.append((label, live, dict(live), is_class and not deep))
        for name, value in list(live.items()):
            # only plain functions and classes: any other getattr could run kata code (KataModule)
            if deep and type(value) is types.FunctionType:
                self.codes.append((f"{label}.{name}", value, value.__code__))
            if containers and type(value) is dict:
                self.containers.append((f"{label}.{name}", value, value.copy()))
            if deep and type(value) is type and value.__dict__.get("__module__") == live.get("__name__"):
                self.add(f"{label}.{name}", value, True, deep=True, containers=containers)

    def take_core(self) -> None:
        import builtins
        import math
        import operator

        import _pytest.outcomes
        import _pytest.python
        import _pytest.reports
        import _pytest.runner
        import pluggy._hooks
        import pluggy._manager
        import pytest
        import torch
        import torch.nn.functional

        for label, module in [
            ("builtins", builtins), ("math", math), ("operator", operator), ("os", os), ("os.path", os.path),
            ("torch", torch), ("torch.nn.functional", torch.nn.functional), ("torch.testing", torch.testing),
            ("torch.linalg", torch.linalg), ("torch.special", torch.special), ("torch.autograd", torch.autograd),
        ]:
            self.add(label, module, False)
        for name in ("torch.func", "torch.distributions", "torch.optim", "torch.autograd.forward_ad",
                     "torch.nn.utils.parametrize", "torch.nn.init", "numpy"):
            if name in sys.modules:
                self.add(name, sys.modules[name], False)
        tensor_base = getattr(torch._C, "TensorBase", None) or getattr(torch._C, "_TensorBase")
        for label, cls in [("torch.Tensor", torch.Tensor), ("torch._C.TensorBase", tensor_base),
                           ("torch.nn.Module", torch.nn.Module), ("torch.nn.Parameter", torch.nn.Parameter)]:
            self.add(label, cls, True)
        for label, module in [("pytest", pytest), ("_pytest.runner", _pytest.runner),
                              ("_pytest.reports", _pytest.reports), ("_pytest.outcomes", _pytest.outcomes),
                              ("_pytest.python", _pytest.python), ("pluggy._hooks", pluggy._hooks),
                              ("pluggy._manager", pluggy._manager),
                              ]:
            self.add(label, module, False, deep=True)
        for name in [n for n in sys.modules if n == "classroom" or n.startswith("classroom.")]:
            self.add(name, sys.modules[name], False, deep=True)
        for name in [n for n in sys.modules if n.startswith("katas.harness")]:
            self.add(name, sys.modules[name], False, deep=True, containers=True)

    def changed(self) -> list[str]:
        # identity only (never ==, which kata code could override), in C loops: this runs after every test
        found = []
        for label, live, saved, strict in self.namespaces:
            if not all(map(operator.is_, map(live.get, saved), saved.values())):
                found += [f"{label}.{name}" for name, value in saved.items()
                          if name not in self._IGNORED and live.get(name, Snapshot) is not value]
            if strict and len(live) != len(saved):
                found += [f"{label}.{name}" for name in live if name not in saved and name not in self._IGNORED]
        if self.codes and not all(map(operator.is_, map(_code_of, self._functions), self._codes)):
            found += [label for label, function, code in self.codes if function.__code__ is not code]
        for label, live, copy in self.containers:
            if len(live) != len(copy) or not all(map(operator.is_, map(live.get, copy), copy.values())):
                found.append(label)
        return found

    @property
    def _functions(self) -> list:
        return [function for _, function, _ in self.codes]

    @property
    def _codes(self) -> list:
        return [code for _, _, code in self.codes]


def _code_of(function):
    return function.__code__


