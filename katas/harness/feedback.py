"""What a failing kata test says: one line where the cause is plain (a stub, a broken module, a
failed check, a function blocked by another), an unexpected exception with the line of kata code it
came from and the call that got there, torch's common errors explained, and tracebacks without the
harness's own frames."""

from __future__ import annotations

import ast
import linecache
import re
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
import torch

from .errors import ForbiddenCallError, KataFailure, KataLoadError, MissingName, TestTimedOut
from .kata import ROOT, Kata
from .status import Outcome

HARNESS = Path(__file__).resolve().parent
# Failures whose message is the whole story: shown as that message, without a traceback.
SELF_EXPLAINING = (KataFailure, ForbiddenCallError, TestTimedOut)

# torch's and Python's wording of the errors students meet most, and what each means: the cause and
# where to look, never the line to write.
TORCH_ERRORS = [
    (re.compile(r"a leaf Variable that requires grad is being used in an in-place operation"),
     "an in-place update of a parameter (p -= ..., p.add_(...)) was recorded by autograd: an update is "
     "no part of the model, so it belongs in a block where autograd records nothing: read about "
     "torch.no_grad(), which an optimizer's step() runs under"),
    (re.compile(r"view size is not compatible with input tensor's size and stride"),
     "view() never copies, so it can only merge dims whose elements lie one after another in memory; "
     "after transpose or permute they no longer do. Look at the order of your view and transpose calls, "
     "and at what reshape and contiguous() promise"),
    (re.compile(r"Expected all tensors to be on the same device"),
     "a tensor made inside the function lives on the CPU while the inputs are elsewhere: every tensor "
     "you create needs the inputs' device (read about the device= argument and the *_like functions)"),
    (re.compile(r"Expected a '\w+' device type for generator"),
     "a generator draws for one device: the random numbers must be made on the inputs' device, with the "
     "generator you were given (read about the generator= and device= arguments together)"),
    (re.compile(r"expected (scalar type|both vectors to have same dtype|m1 and m2 to have the same dtype)"
                r"|result type \w+ can't be cast|must have the same dtype"),
     "the tensors on that line have different dtypes: a tensor made inside the function has the default "
     "dtype (float32) unless it takes the inputs' dtype, and float64 inputs are tested too"),
    (re.compile(r"Boolean value of Tensor with more than one value is ambiguous"),
     "a tensor of several elements stood where Python needs one True or False: an if, and/or/not, or a "
     "chained comparison such as a <= x <= b. Decide what the condition means for all the elements "
     "(any() or all()), or keep it elementwise (torch.where)"),
    (re.compile(r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\)"
                r"|The expanded size of the tensor"),
     "two tensors on that line do not broadcast against each other: print their shapes just before it; "
     "a dim of size 1 that is missing or extra (keepdim, unsqueeze) is the usual cause"),
    (re.compile(r"shapes cannot be multiplied"),
     "a matrix product whose inner sizes differ: print the shapes of both operands on that line"),
    (re.compile(r"'NoneType'|NoneType object"),
     "a value on that line is None: a function that ends without `return` gives None, and a tensor's "
     ".grad is None until a backward reaches it"),
    (re.compile(r"cannot convert float NaN to integer"),
     "a NaN reached int() or round(). Every comparison with NaN is False, so a check that raises only "
     "when a comparison is True lets NaN through"),
    (re.compile(r"selected (number|index) k out of range"),
     "k is outside 1..size of the dim (kthvalue counts from 1, topk from 0 up to the size): look at the "
     "edge cases, such as selecting nothing or everything"),
    (re.compile(r"element 0 of tensors does not require grad and does not have a grad_fn"),
     "what you differentiate is not connected to anything that requires grad: a .detach(), .item(), "
     "torch.no_grad() or a tensor made anew cut the graph before that line"),
    (re.compile(r"modified by an inplace operation"),
     "a tensor that autograd saved for the backward pass was changed in place afterwards (x.mul_(...), "
     "x[...] = ..., x += ...): change a copy, or compute a new tensor"),
    (re.compile(r"Index tensor must have the same number of dimensions"),
     "gather and scatter take an index with as many dims as the tensor they read or write"),
    (re.compile(r"Expected dtype int(32/int)?64 for index"),
     "an index tensor must hold integers (int64), not floats"),
    (re.compile(r"cannot be converted to Scalar"),
     "a tensor of several elements was turned into one Python number (.item(), float(), int())"),
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


def kata_calls(value: object, kata: Kata, checked: str) -> set[str]:
    """The other kata functions whose names a kata function's code uses: its own code, the functions
    nested in it and, for a class, its methods. Read from the compiled code, so nothing runs."""
    if type(value) is types.FunctionType:
        codes = [value.__code__]
    elif isinstance(value, type):
        codes = [member.__code__ for member in vars(value).values() if type(member) is types.FunctionType]
    else:
        return set()
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [constant for constant in code.co_consts if isinstance(constant, types.CodeType)]
    return (names & set(kata.points)) - {checked}


def summarize(excinfo: pytest.ExceptionInfo, kata: Kata, checked: str, sources: set[str],
              failing: Callable[[str], bool], calls: Callable[[], set[str]] = set) -> Summary | None:
    """One line for a failure whose cause needs no traceback, else None.

    A failure blocks the checked function when it was raised inside another kata function that is a
    stub or is failing its own tests in this run, or when the checked function calls (``calls``: the
    kata functions its code names) one that is failing its own tests in this run: an `init_weights`
    whose weights come out wrong because the `orthogonal_` it calls is wrong reads "blocked by
    orthogonal_", not as a mistake of its own. A failure inside a function that passes its own tests
    is the caller's fault (it passed bad arguments), shown in full.
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
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if by and failing(by):
        return Summary(Outcome.BLOCKED, f"{where}: blocked by {by}, which fails here: {first}", by)
    if not by and not isinstance(error, (ForbiddenCallError, TestTimedOut)):
        called = sorted(name for name in calls() if failing(name))
        if called:
            by = called[0]
            return Summary(Outcome.BLOCKED, f"{where}: blocked by {by}, which it calls and which fails its own "
                                            f"tests: make {by} pass first. This test said: {first}", by)
    if isinstance(error, SELF_EXPLAINING):
        return Summary(None, str(error))
    return None


def located(excinfo: pytest.ExceptionInfo, kata: Kata, sources: set[str]) -> str:
    """An exception that came out of kata code, said with where: its own line, the line of kata code
    it was raised at (or by a call on), and the call of the kata function that led there. '' when
    the traceback holds no kata code (the test itself failed)."""
    entries = [e for e in excinfo.traceback if str(e.path) in sources]
    if not entries:
        return ""
    last = entries[-1]
    code = linecache.getline(str(last.path), last.lineno + 1).strip()
    lines = [excinfo.exconly().strip(),
             f"  at {_where(str(last.path), last.lineno + 1)}, in {last.frame.code.raw.co_name}: {code}"]
    call = next((e for e in entries if kata_function_of(e, kata) is not None), None)
    if call is not None:
        lines.append(f"  in the call {call.frame.code.raw.co_name}({_arguments(call.frame.code.raw, call.frame.f_locals)})")
    return "\n".join(lines)


def raised_by_a_call(error: BaseException, sources: set[str]) -> str:
    """Where kata code called something that raised ``error`` ("sparsity.py:14: k = round(...)"), when
    no `raise` statement of kata code raised it; '' when kata code raised it itself, or never ran."""
    frames = []
    trace = error.__traceback__
    while trace is not None:
        frames.append((trace.tb_frame.f_code.co_filename, trace.tb_lineno))
        trace = trace.tb_next
    ours = [(path, line) for path, line in frames if path in sources]
    if not ours:
        return ""
    path, line = ours[-1]
    code = linecache.getline(path, line).strip()
    if frames[-1] == ours[-1] and code.startswith("raise"):
        return ""
    return f"{_where(path, line)}: {code}"


def definition(value: object) -> str | None:
    """The source of a function, decorators included, as its module or notebook cell holds it (read
    from the file or cell it was compiled from, so nothing of it runs); None when it is not a plain
    function or its source is gone."""
    if type(value) is not types.FunctionType:
        return None
    code = value.__code__
    source = "".join(linecache.getlines(code.co_filename))
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == code.co_name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if first == code.co_firstlineno:
                return textwrap.dedent("".join(source.splitlines(keepends=True)[first - 1:node.end_lineno]))
    return None


def _where(path: str, line: int) -> str:
    """A line of kata code as a student finds it: file:line, the file relative to the checkout, or
    "Cell In[5], line 2" for a Jupyter cell (as IPython's own tracebacks say it)."""
    ipython = sys.modules.get("IPython")  # never imported here: running in a notebook has imported it
    shell = ipython.get_ipython() if ipython is not None else None
    cell = getattr(getattr(shell, "compile", None), "_filename_map", {}).get(path)
    if cell is not None:
        return f"Cell In[{cell}], line {line}"
    try:
        path = Path(path).resolve().relative_to(ROOT).as_posix()
    except (ValueError, OSError):
        pass
    return f"{path}:{line}"


def _arguments(code: types.CodeType, local: dict) -> str:
    """The parameters of a call as the frame holds them, each said briefly ("sparsity=nan")."""
    count = code.co_argcount + code.co_kwonlyargcount
    count += bool(code.co_flags & 0x04) + bool(code.co_flags & 0x08)  # *args, **kwargs
    names = [name for name in code.co_varnames[:count] if name != "self"]
    return ", ".join(f"{name}={described(local[name])}" for name in names if name in local)


def described(value: object) -> str:
    """A value in a few words, for a message: tensors by dtype and shape (values when there are at
    most four), whether they require grad; numbers and short strings as written; short lists and
    tuples of numbers as written; anything else by its type. Never cut mid-word."""
    if type(value) in (torch.Tensor, torch.nn.Parameter):
        where = "" if value.device.type == "cpu" else f" on {value.device}"
        dtype = str(value.dtype).removeprefix("torch.")
        grad = ", requires grad" if value.requires_grad else ""
        if value.numel() <= 4 and value.ndim <= 1:
            return f"tensor({value.tolist()}, {dtype}{where}{grad})"
        return f"{dtype} tensor {tuple(value.shape)}{where}{grad}"
    if value is None or type(value) in (bool, int, float, torch.dtype, torch.device):
        return repr(value)
    if type(value) is str:
        return repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
    if type(value) in (tuple, list, torch.Size) and len(value) <= 6 and all(type(v) in (int, float, bool) for v in value):
        return repr(tuple(value) if type(value) is torch.Size else value)
    if type(value) in (tuple, list):
        return f"a {type(value).__name__} of {len(value)}: " + ", ".join(map(described, value[:3])) + \
            (", ..." if len(value) > 3 else "")
    return f"a {type(value).__name__}"


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
