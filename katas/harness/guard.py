"""Runs one call of a kata function under the kata's rules: forbidden library calls raise, required
calls must happen (and the result must come from them), and inputs must come back unmodified (unless
the name ends in ``_``), of the same class and attributes in any case.

The torch functions among the forbidden and required calls are watched by a TorchFunctionMode while
the call runs, which sees a call however kata code reached the function (an alias, a reference kept
from before); the others (classes, Python functions such as torch.autograd.grad) are swapped out of
their modules, and out of the kata module's own aliases, for the duration of the call.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Any, Callable, Iterator

import torch
from torch.overrides import TorchFunctionMode, get_overridable_functions

from .errors import ForbiddenCallError, KataFailure
from .kata import CallRule, Kata

_MISSING = object()
_OPERATORS = {"__matmul__": "the @ operator", "__rmatmul__": "the @ operator"}


@functools.cache
def _resolve(path: str) -> tuple[Any, str]:
    """'torch.nn.functional.linear' -> (torch.nn.functional, 'linear'); works for classes too."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1]
    raise ValueError(f"cannot resolve {path!r}")


@functools.cache
def _original(path: str) -> Any:
    """The object a dotted path names, the first time it is asked: ``remember`` asks for every rule's
    calls at collection, before any kata code is loaded."""
    owner, name = _resolve(path)
    return getattr(owner, name)


def remember(kata: Kata) -> None:
    """Resolve the kata's forbidden and required calls now, while they are what torch made them (and
    torch's own list of overridable functions, which it caches the first time it is asked)."""
    _overridable()
    for rule in kata.forbidden + kata.required:
        for path in rule.calls:
            for form in _both_forms(path):
                _original(form)


@functools.cache
def _both_forms(path: str) -> tuple[str, ...]:
    """KATAS.md forbids the torch.X and Tensor.X forms alike, where both exist."""
    if path.startswith("torch.Tensor."):
        twin = "torch." + path.removeprefix("torch.Tensor.")
    elif path.count(".") == 1 and path.startswith("torch."):
        twin = "torch.Tensor." + path.removeprefix("torch.")
    else:
        return (path,)
    owner, name = _resolve(twin)
    return (path, twin) if getattr(owner, name, None) is not None else (path,)


@contextmanager
def _patched(owner: Any, name: str, replacement: Any, module: ModuleType | None) -> Iterator[None]:
    """Swap owner.name, and any alias of it in the kata module's globals (`from torch import mm`)."""
    own = owner.__dict__ if isinstance(owner, type) else vars(owner)
    saved = own.get(name, _MISSING)
    original = getattr(owner, name)
    aliases = [key for key, value in vars(module).items() if value is original] if module else []
    setattr(owner, name, replacement)
    for key in aliases:
        setattr(module, key, replacement)
    try:
        yield
    finally:
        if saved is _MISSING:  # it was inherited (Tensor.mm comes from TensorBase): unshadow it
            delattr(owner, name)
        else:
            setattr(owner, name, saved)
        for key in aliases:
            setattr(module, key, original)


@functools.cache
def _overridable() -> frozenset:
    """The torch functions and Tensor methods that a TorchFunctionMode sees."""
    return frozenset(f for functions in get_overridable_functions().values() for f in functions)


def _tensors_in(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors_in(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors_in(item)]
    return []


class _Watch(TorchFunctionMode):
    """While a kata function runs: refuses the forbidden torch functions, counts the required ones,
    and marks every tensor computed from a required one's result."""

    def __init__(self, guard: Guard, forbidden: dict, required: dict, made: dict, violations: list):
        super().__init__()
        self.guard, self.forbidden, self.required, self.made, self.violations = guard, forbidden, required, made, violations
        self.derived: set[int] = set()  # ids of the tensors computed from a required call's result
        self.kept: list[torch.Tensor] = []  # those tensors, alive until the call ends, so that no id is reused

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        rule = self.forbidden.get(func)
        if rule is not None:
            self.violations.append(rule)
            raise ForbiddenCallError(self.guard._forbidden_message(*rule))
        result = func(*args, **kwargs)
        path = self.required.get(func)
        if path is not None:
            self.made[path] += 1
        if path is not None or any(id(t) in self.derived for t in _tensors_in((args, kwargs))):
            outputs = _tensors_in(result)
            self.derived.update(map(id, outputs))
            self.kept += outputs
        return result


def _tensors(bound: inspect.BoundArguments) -> list[tuple[str, torch.Tensor]]:
    found = []
    for name, value in bound.arguments.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        found += [(name, v) for v in values if isinstance(v, torch.Tensor)]
    return found


class Guard:
    """Calls ``function`` (named ``where`` in messages) under the kata's rules."""

    def __init__(
        self,
        where: str,
        forbidden: list[CallRule],
        required: list[CallRule],
        module: ModuleType | None,
        may_modify_inputs: bool,
    ):
        self.where = where
        self.forbidden = forbidden
        self.required = required
        self.module = module
        self.may_modify_inputs = may_modify_inputs

    def call(self, function: Callable, *args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        snapshot = self._snapshot(function, args, kwargs)
        violations: list[tuple[str, str]] = []  # (forbidden call, why)
        made: dict[str, int] = {}
        watched_forbidden, watched_required = {}, {}  # torch functions the mode watches -> their rule
        overridable = _overridable()
        with ExitStack() as stack:
            for rule in self.forbidden:
                for path in (p for call in rule.calls for p in _both_forms(call)):
                    if _original(path) in overridable:
                        watched_forbidden[_original(path)] = (path, rule.hint)
                    else:
                        stack.enter_context(self._forbid(path, rule.hint, violations))
            for rule in self.required:
                for path in rule.calls:
                    made[path] = 0
                    for form in _both_forms(path):
                        if _original(form) in overridable:
                            watched_required[_original(form)] = path
                        else:
                            stack.enter_context(self._count(form, path, made))
            watch = None
            if watched_forbidden or watched_required:
                watch = stack.enter_context(_Watch(self, watched_forbidden, watched_required, made, violations))
            result = function(*args, **kwargs)
        if violations:  # raised inside, but maybe swallowed by a bare except
            raise ForbiddenCallError(self._forbidden_message(*violations[0]))
        for rule in self.required:
            if not any(made[path] for path in rule.calls):
                raise KataFailure(f"{self.where} never called {' or '.join(rule.calls)}: {rule.hint}")
        if watch is not None and watched_required:
            self._check_derived(result, watch, watched_required)
        self._check_unmodified(snapshot)
        return result

    def _check_derived(self, result: Any, watch: _Watch, required: dict) -> None:
        __tracebackhide__ = True
        if any(id(t) not in watch.derived for t in _tensors_in(result)):
            calls = " or ".join(sorted(set(required.values())))
            raise KataFailure(f"{self.where} called {calls}, but its result is not computed from what "
                              f"{calls} returned: {self.required[0].hint}")

    def _forbid(self, path: str, hint: str, violations: list[tuple[str, str]]):
        owner, name = _resolve(path)

        def forbidden(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            violations.append((path, hint))
            raise ForbiddenCallError(self._forbidden_message(path, hint))

        return _patched(owner, name, forbidden, self.module)

    def _count(self, form: str, path: str, made: dict[str, int]):
        owner, name = _resolve(form)
        original = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            made[path] += 1
            return original(*args, **kwargs)

        return _patched(owner, name, counted, self.module)

    def _forbidden_message(self, path: str, hint: str) -> str:
        name = _OPERATORS.get(path.rsplit(".", 1)[-1], path)
        return f"{self.where} called {name}, which is off-limits in this kata: {hint}"

    def _snapshot(self, function: Callable, args: tuple, kwargs: dict) -> list:
        """Each tensor input: its class and attributes, and (unless it may be modified) its values."""
        try:
            bound = inspect.signature(function).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return []  # the call itself will raise the TypeError the student should see
        return [(name, t, type(t), dict(t.__dict__), t._version,
                 None if self.may_modify_inputs else t.detach().clone()) for name, t in _tensors(bound)]

    def _check_unmodified(self, snapshot: list) -> None:
        __tracebackhide__ = True
        for name, tensor, kind, attributes, version, before in snapshot:
            if type(tensor) is not kind or tensor.__dict__.keys() != attributes.keys() or any(
                    tensor.__dict__[key] is not value for key, value in attributes.items()):
                raise KataFailure(f"{self.where} changed the class or the attributes of its input `{name}`: a "
                                  "kata function returns its answer and leaves its inputs as they came")
            if before is None:
                continue
            same = tensor.shape == before.shape and torch.equal(
                tensor.detach().nan_to_num(), before.nan_to_num()
            )
            if tensor._version != version or not same:
                raise KataFailure(
                    f"{self.where} modified its input `{name}` in place. Functions whose names do "
                    "not end in `_` must leave their inputs untouched: build a new tensor "
                    "(`x = x * 2`, not `x *= 2`; no `x[...] = ...`), or work on `x.clone()`."
                )
