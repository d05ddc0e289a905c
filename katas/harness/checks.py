"""Assertion helpers shared by every kata's tests.

Each message names the function under test, says what differs (type, shape, dtype, device, values)
and ends with a hint. Structure is checked before values, so a wrong shape is never hidden by
broadcasting.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterable, Iterator

import pytest
import torch

from .emulated_cuda import tensor_type
from .errors import KataFailure, KataLoadError
from .feedback import raised_by_a_call
from .loader import current

_TENSOR_TYPES = (torch.Tensor, torch.nn.Parameter)
# torch.testing.assert_close's defaults. Not called itself: its first call imports torch.distributed
# and sympy, half a second that every student would wait on every run.
_TOLERANCES = {  # dtype: (rtol, atol)
    torch.float16: (1e-3, 1e-5),
    torch.bfloat16: (1.6e-2, 1e-5),
    torch.float32: (1.3e-6, 1e-5),
    torch.float64: (1e-7, 1e-7),
}


def where() -> str:
    """The function the running test checks, as "module.function"."""
    return current().where


def fail(message: str, hint: str = "") -> None:
    """Fail the running test: "module.function: message", then the hint on its own line."""
    __tracebackhide__ = True
    raise KataFailure(f"{where()}: {message}" + (f"\nHint: {hint}" if hint else ""))


def cases(function: str | Callable[[object], str], values: Iterable, ids: Callable[[object], str] = str) -> list:
    """Parametrize a test over ``values``, each marked with the kata function it checks.

    ``function`` names that function, or maps a value to it (one generic test over every function);
    a tuple value fills several arguments of the test.
    """
    checked = function if callable(function) else (lambda value: function)
    return [
        pytest.param(*(value if isinstance(value, tuple) else (value,)),
                     marks=pytest.mark.checks(checked(value)), id=ids(value))
        for value in values
    ]


def assert_tensor(
    actual: object,
    expected: torch.Tensor,
    *,
    what: str = "the result",
    hint: str = "",
    rtol: float | None = None,
    atol: float | None = None,
    equal_nan: bool = False,
) -> None:
    """Check type, shape, dtype and device, then values (torch.testing tolerances by default)."""
    __tracebackhide__ = True
    if tensor_type(actual) not in _TENSOR_TYPES:
        fail(f"{what} should be a torch.Tensor, got {type(actual).__name__}", hint)
    if actual.shape != expected.shape:
        fail(f"{what} has shape {tuple(actual.shape)}, expected {tuple(expected.shape)}", hint)
    if actual.dtype != expected.dtype:
        keep = " (results keep the inputs' floating dtype)" if expected.is_floating_point() else ""
        fail(f"{what} has dtype {actual.dtype}, expected {expected.dtype}{keep}", hint)
    if actual.device != expected.device:
        fail(f"{what} is on {actual.device}, expected {expected.device} (create tensors with "
              "device=x.device, or derive them from the inputs)", hint)
    default_rtol, default_atol = _TOLERANCES.get(expected.dtype, (0.0, 0.0))
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    mismatch = _mismatch(actual.detach(), expected.detach(), rtol, atol, equal_nan)
    if mismatch:
        fail(f"{what} has wrong values.\n{mismatch}", hint)


def _mismatch(actual: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, equal_nan: bool) -> str:
    """'' when every element is close (|a - e| <= atol + rtol * |e|), else the numbers that show it."""
    if not expected.is_floating_point():
        close = actual == expected
    else:
        close = torch.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return ""
    difference = (actual.double() - expected.double()).abs()
    difference[close] = 0
    worst = _unravel(int(difference.nan_to_num(float("inf")).argmax()), tuple(expected.shape))
    return (
        f"Mismatched elements: {int((~close).sum())} / {close.numel()}\n"
        f"Worst at index {worst}: got {actual[worst].item():.6g}, expected {expected[worst].item():.6g} "
        f"(allowed difference {atol:.1e} + {rtol:.1e} * |expected|)"
    )


def _unravel(flat: int, shape: tuple[int, ...]) -> tuple[int, ...]:
    index = []
    for size in reversed(shape):
        flat, position = divmod(flat, size)
        index.append(position)
    return tuple(reversed(index))


def gradients(output: torch.Tensor, inputs: list[torch.Tensor], upstream: torch.Tensor) -> tuple:
    """Gradients of sum(output * upstream) with respect to each input; None where none flows.

    Written as a scalar loss on purpose: a non-scalar grad_outputs makes torch import sympy on
    first use, a third of a second on every test run.
    """
    if not output.requires_grad:
        return (None,) * len(inputs)
    return torch.autograd.grad((output * upstream).sum(), inputs, allow_unused=True)


def assert_grad(grad: torch.Tensor | None, expected: torch.Tensor, *, name: str, hint: str = "", **tolerances) -> None:
    """Check one gradient; None means the result was cut off from that input in the graph."""
    __tracebackhide__ = True
    if grad is None:
        fail(f"no gradient reached `{name}`: the result is not connected to it in the autograd "
              "graph (.detach(), .item(), .data, torch.no_grad() or a new tensor cut it)", hint)
    assert_tensor(grad, expected, what=f"the gradient of `{name}`", hint=hint, **tolerances)


Keyword = str | tuple[str, ...]


def mentions(message: str, keyword: Keyword) -> bool:
    """The message names the keyword, or one of its alternatives: case-insensitive, singular or
    plural alike ("labels" is found in "label 7 is out of range")."""
    alternatives = keyword if isinstance(keyword, tuple) else (keyword,)
    text = message.lower()
    return any(word.lower() in text or (word.lower().endswith("s") and word.lower()[:-1] in text)
               for word in alternatives)


def _said(keyword: Keyword) -> str:
    return " or ".join(map(repr, dict.fromkeys(keyword))) if isinstance(keyword, tuple) else repr(keyword)


@contextmanager
def raises_value_error(*keywords: Keyword, case: str) -> Iterator[None]:
    """Expect a ValueError whose message mentions every keyword (see ``mentions``).

    A keyword may be a tuple of alternatives: any argument involved in the failing condition, or
    the quantity the contract names. ``case`` describes the bad input in words, for the message.
    NotImplementedError passes through untouched, so an unfinished stub reads as "not
    implemented", not as a wrong exception.
    """
    __tracebackhide__ = True
    try:
        yield
    except ValueError as error:
        missing = [k for k in keywords if not mentions(str(error), k)]
        called = raised_by_a_call(error, current().session.source_files()) if missing else ""
        if called:
            fail(f"raised ValueError({str(error)!r}) for {case}, but no check of its own raised it: a call at "
                 f"{called} did, so the input got past the function's checks",
                 "check the input before using it, and raise a ValueError that names the argument (a NaN "
                 "passes every check that raises only when a comparison is True)")
        if missing:
            fail(f"raised ValueError({str(error)!r}) for {case}, but the message should mention "
                 f"{' and '.join(map(_said, missing))}", "say which argument is wrong and what it was")
    except (NotImplementedError, KataLoadError):  # unfinished or broken kata code reports itself
        raise
    except Exception as error:
        called = raised_by_a_call(error, current().session.source_files())
        fail(f"raised {type(error).__name__}({str(error)[:200]!r}) for {case}, expected ValueError"
             + (f" (a call at {called} raised it)" if called else ""),
              "check the input yourself and raise ValueError with a message that names the argument, "
              "before any torch op fails with its own error")
    else:
        fail(f"returned normally for {case}, expected a ValueError",
              "validate the input before computing: a silent wrong answer is worse than an error")


def shape_words(*shapes: tuple[int, ...]) -> list[str]:
    """Keywords that find each shape in a message written as (2, 3), [2, 3] or torch.Size([2, 3])."""
    return [", ".join(map(str, shape)) for shape in shapes]
