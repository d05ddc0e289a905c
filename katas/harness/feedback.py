"""What a failing kata test says: one line where the cause is plain (a stub, a broken module, a
failed check, a function blocked by another), torch's common errors translated into the fix, and
tracebacks without the harness's own frames."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from .errors import ForbiddenCallError, KataFailure, KataLoadError, MissingName, TestTimedOut
from .kata import Kata
from .status import Outcome

HARNESS = Path(__file__).resolve().parent
# Failures whose message is the whole story: shown as that message, without a traceback.
SELF_EXPLAINING = (KataFailure, ForbiddenCallError, TestTimedOut)

# torch's wording of the errors students meet most, and what to do about each.
TORCH_ERRORS = [
    (re.compile(r"a leaf Variable that requires grad is being used in an in-place operation"),
     "an in-place update of a parameter (p -= ..., p.add_(...)) must not be recorded by autograd: "
     "do it under torch.no_grad() (an optimizer's step() is decorated with @torch.no_grad())"),
    (re.compile(r"view size is not compatible with input tensor's size and stride"),
     "view() never copies, so it needs memory laid out in that order; after transpose or permute the "
     "tensor is not contiguous: view before transposing, or use reshape (which copies when it must)"),
    (re.compile(r"Expected all tensors to be on the same device"),
     "a tensor made inside the function lives on the CPU: create it with device=x.device "
     "(or torch.zeros_like(x), x.new_zeros(...))"),
    (re.compile(r"Expected a '\w+' device type for generator"),
     "a generator draws on its own device: draw on the inputs' device with the generator you were given, "
     "torch.randn(shape, generator=generator, device=x.device, dtype=x.dtype)"),
    (re.compile(r"expected (scalar type|both vectors to have same dtype|m1 and m2 to have the same dtype)"
                r"|result type \w+ can't be cast|must have the same dtype"),
     "the tensors have different dtypes: create new tensors with dtype=x.dtype, so float32 and float64 "
     "inputs both work"),
]


@dataclass(frozen=True)
class Summary:
    outcome: Outcome | None  # None: an ordinary failure, shown as this line
    line: str
    blocked_by: str = ""


def kata_function_of(entry, kata: Kata) -> str | None:
    """The kata function a traceback entry runs in (a method counts as its class), if any."""
    code = entry.frame.code.raw
    head = getattr(code, "co_qualname", code.co_name).split(".")[0]
    return head if head in kata.points else None


def blocker(excinfo: pytest.ExceptionInfo, kata: Kata, checked: str, sources: set[str]) -> str:
    """The other kata function the failure was raised inside, or ''."""
    inside = [kata_function_of(e, kata) for e in excinfo.traceback if str(e.path) in sources]
    inside = [name for name in inside if name is not None]
    return inside[-1] if inside and inside[-1] != checked else ""


def summarize(excinfo: pytest.ExceptionInfo, kata: Kata, checked: str, sources: set[str],
              failing: Callable[[str], bool]) -> Summary | None:
    """One line for a failure whose cause needs no traceback, else None.

    A failure raised inside another kata function blocks the checked one when that function is a
    stub, or is failing its own tests in this run; a failure inside a function that passes its own
    tests is the caller's fault (it passed bad arguments), shown in full.
    """
    error = excinfo.value
    if isinstance(error, MissingName):
        return Summary(None, error.summary)
    if isinstance(error, KataLoadError):
        return Summary(Outcome.BROKEN, error.summary)
    where = f"{kata.module}.{checked}"
    by = blocker(excinfo, kata, checked, sources)
    if isinstance(error, NotImplementedError):
        if str(excinfo.traceback[-1].path) not in sources:
            return None  # raised by torch or a library: a real failure, with its traceback
        if by:
            return Summary(Outcome.BLOCKED, f"{where}: blocked by {by}, which is not implemented yet", by)
        return Summary(Outcome.NOT_STARTED, f"{where}: not implemented yet")
    if by and failing(by):
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Summary(Outcome.BLOCKED, f"{where}: blocked by {by}, which fails here: {first}", by)
    if isinstance(error, SELF_EXPLAINING):
        return Summary(None, str(error))
    return None


def torch_hint(message: str) -> str:
    """What to do about a torch error a student commonly meets, or ''."""
    return next((hint for pattern, hint in TORCH_ERRORS if pattern.search(message)), "")


def without_machinery(excinfo: pytest.ExceptionInfo) -> None:
    """Drop the harness's and contextlib's frames from a traceback a student will read."""
    kept = [e for e in excinfo.traceback if not _machinery(Path(str(e.path)))]
    if kept:
        excinfo.traceback = pytest.Traceback(kept) if hasattr(pytest, "Traceback") else type(excinfo.traceback)(kept)


def _machinery(path: Path) -> bool:
    return path.name == "contextlib.py" or HARNESS in path.parents or path.parent == HARNESS
