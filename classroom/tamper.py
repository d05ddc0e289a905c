"""Tamper evidence in the kata's own process: a snapshot of what decides a verdict, taken before any
kata code runs, and compared by identity (never ==, which kata code could override): the vital part
(what a comparison uses: torch, the harness, the test modules and their tables, torch's mode stacks)
at every assertion helper call, the rest (pytest, pluggy, the items, the job) after every test and
at the end. What differs is a violation, and the kata scores zero.
"""

from __future__ import annotations

import operator
import os
import sys
import types
from dataclasses import dataclass, field

_MISSING = object()
# set by the interpreter and pytest, not by kata code: the warnings module, copyreg when a tensor is
# pickled, pytest for every failing test
_IGNORED = {"__warningregistry__", "__slotnames__", "last_type", "last_value", "last_traceback", "last_exc"}
# pytest items change these while their test runs
_ITEM_STATE = {"funcargs", "_request", "_report_sections", "user_properties"}
_MAX_OBJECTS = 50000
# What the harness's comparison computes with (katas.harness.checks._mismatch): a kernel of these
# replaced makes a wrong value compare as right.
CHECKED_OPS = ("aten::isclose", "aten::eq.Tensor", "aten::all", "aten::_to_copy", "aten::abs", "aten::sub.Tensor",
               "aten::index_put_", "aten::nan_to_num", "aten::argmax", "aten::bitwise_not.Tensor", "aten::sum",
               "aten::_local_scalar_dense")


class _Part:
    """References kept to compare by identity, in C loops where it matters. The comparison holds its
    own references to what it compares with (``operator.is_``, ``all``, ``map``...), bound when this
    module is imported: kata code that rebinds them where they live cannot blind it."""

    def __init__(self) -> None:
        self.dicts: list[list] = []  # [label, live, copy, its values, strict, volatile]
        self.lists: list[tuple[str, list, tuple]] = []
        self.cells: list[tuple[str, tuple, tuple]] = []  # label, closure cells, their contents
        self.tensors: list[tuple[str, object, int]] = []
        self.conditions: list[tuple[str, object]] = []  # label, function that returns True while intact

    def changed(self, found: list, is_=operator.is_, all=all, map=map, len=len, dict=dict, tuple=tuple) -> None:
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

    def changed(self, full: bool = True, list=list, dict=dict) -> list[str]:
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
        import torch.testing._creation

        self.part = self.vital
        for label, module in [("builtins", builtins), ("math", math), ("operator", operator), ("sys", sys),
                              ("torch", torch), ("torch.nn.functional", torch.nn.functional),
                              ("torch.testing", torch.testing), ("torch.autograd", torch.autograd),
                              ("torch.testing._creation", torch.testing._creation)]:
            self.namespace(label, module)
        tensor_base = getattr(torch._C, "TensorBase", None) or getattr(torch._C, "_TensorBase")
        for label, cls in [("torch.Tensor", torch.Tensor), ("torch._C.TensorBase", tensor_base)]:
            self.namespace(label, cls, strict=True)
        import katas.harness.checks  # noqa: F401  the package loads its helpers lazily: snapshot them too
        import katas.harness.loader  # noqa: F401
        from katas.harness import emulated_cuda  # its modes are the harness's: CUDA emulated on the CPU

        for name in sorted(n for n in sys.modules if n.startswith("katas.harness")):
            self.namespace(name, sys.modules[name], deep=True, data=True)
        self.condition("a torch function mode (torch.overrides.TorchFunctionMode) left active",
                       emulated_cuda.no_foreign_function_mode)
        self.condition("a torch dispatch mode (TorchDispatchMode) left active",
                       emulated_cuda.no_foreign_dispatch_mode)
        hooks = getattr(torch._C._autograd, "_top_saved_tensors_default_hooks", None)
        if hooks is not None:
            self.condition("an autograd saved-tensors hook left active", lambda: hooks(False) is None)
        self.dispatcher(torch)

        self.part = self.rest
        for label, module in [("os", os), ("os.path", os.path), ("torch.linalg", torch.linalg),
                              ("torch.special", torch.special)]:
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

    def dispatcher(self, torch) -> None:
        """The kernels of the ops the checks compare with: a kernel registered from kata code
        (torch.library.Library("aten", "IMPL").impl(...)) changes what every comparison computes
        without rebinding anything a namespace holds. (Torch registers kernels of other ops lazily,
        vmap's batching rules on its first use, say: those are not compared.)"""
        dump = torch._C._dispatch_dump
        tables = {op: dump(op) for op in CHECKED_OPS}
        self.condition("torch's dispatcher (a kernel registered with torch.library)",
                       lambda: all(dump(op) == table for op, table in tables.items()))

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
    scratch_files: list[str] = field(default_factory=list)  # without the sandbox: what it wrote in /tmp
    baselined: bool = False

    def baseline(self, session, recorder) -> None:
        if self.baselined:
            self.note("tampered: asked for a second baseline")
            return
        self.baselined = True
        self.snapshot.take_run(session, recorder)

    def checkpoint(self, when: str, full: bool = True, any=any, len=len) -> None:
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
