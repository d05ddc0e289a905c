"""Runs one call of a kata function under the kata's rules: forbidden library calls raise, required
calls must happen, and inputs must come back unmodified (unless the name ends in ``_``)."""

from __future__ import annotations

import functools
import importlib
import inspect
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Any, Callable, Iterator

import torch

from .errors import ForbiddenCallError, KataFailure
from .kata import CallRule

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
        snapshot = [] if self.may_modify_inputs else self._snapshot(function, args, kwargs)
        violations: list[tuple[str, str]] = []  # (forbidden call, why)
        made: dict[str, int] = {}
        with ExitStack() as stack:
            for rule in self.forbidden:
                for path in (p for call in rule.calls for p in _both_forms(call)):
                    stack.enter_context(self._forbid(path, rule.hint, violations))
            for rule in self.required:
                for path in rule.calls:
                    made[path] = 0
                    for form in _both_forms(path):
                        stack.enter_context(self._count(form, path, made))
            result = function(*args, **kwargs)
        if violations:  # raised inside, but maybe swallowed by a bare except
            raise ForbiddenCallError(self._forbidden_message(*violations[0]))
        for rule in self.required:
            if not any(made[path] for path in rule.calls):
                raise KataFailure(f"{self.where} never called {' or '.join(rule.calls)}: {rule.hint}")
        self._check_unmodified(snapshot)
        return result

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
        try:
            bound = inspect.signature(function).bind(*args, **kwargs)
        except (TypeError, ValueError):
            return []  # the call itself will raise the TypeError the student should see
        return [(name, t, t._version, t.detach().clone()) for name, t in _tensors(bound)]

    def _check_unmodified(self, snapshot: list) -> None:
        __tracebackhide__ = True
        for name, tensor, version, before in snapshot:
            same = tensor.shape == before.shape and torch.equal(
                tensor.detach().nan_to_num(), before.nan_to_num()
            )
            if tensor._version != version or not same:
                raise KataFailure(
                    f"{self.where} modified its input `{name}` in place. Functions whose names do "
                    "not end in `_` must leave their inputs untouched: build a new tensor "
                    "(`x = x * 2`, not `x *= 2`; no `x[...] = ...`), or work on `x.clone()`."
                )
