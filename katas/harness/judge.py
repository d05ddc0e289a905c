"""The judge's cases: every kata function checked on fresh inputs, by code that need not share a process
with the code it checks.

A kata's ``judge_<module>.py``, beside its tests, lists its cases: each is a function of a ``Draw`` (a
seeded generator) that returns a ``Judged``, the ``Call`` the kata's code is asked to make (data
only: the function, its arguments, which gradients to take, how often, and for a class or a function
that deals in objects the scenario that performs it) and the ``check`` of what came back (an
``Output``: data only). The same cases run two ways:

- in the student's own pytest, in-process, on a fresh draw every run (``judged_tests``: the rules of
  the kata apply as in every test), so that a solution the judge rejects fails locally too;
- in grading: a judge process, which never loads submission code, draws the calls from a seed secret
  to the grading run and checks what came back; a worker, which loads the submission's module and
  nothing of the tests, performs the calls (``drive``) and sends back data only.

A check compares with values computed here, from torch builtins and formulas, never from the
reference solution.
"""

from __future__ import annotations

import importlib.util
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest
import torch

from .checks import _TOLERANCES, _mismatch, fail
from .errors import KataFailure
from .kata import judge_file, kata_of


class Mismatch(KataFailure):
    """What the judge found wrong with a call's output (its message says what, without the
    function's name: the caller adds it)."""


@dataclass(frozen=True)
class Recipe:
    """An argument that is not a tensor (a function, a module, a generator), described as data: the
    worker builds it from its name and parameters (``drive.BUILDERS``)."""

    name: str
    params: tuple = ()


@dataclass
class Call:
    """What the kata's code is asked to do, as data."""

    function: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    grads: tuple[int, ...] = ()  # positions of tensor arguments to take the gradient of sum(result * cotangent) for
    cotangent: torch.Tensor | None = None  # None: ones
    repeat: int = 1  # random functions: call this often, and send every result
    # How the call is made (``scenarios.SCENARIOS``): None calls the function on the arguments; a class, or a
    # function that returns objects, is performed by a scenario that turns what happens into data.
    scenario: Recipe | None = None

    def to_data(self) -> dict:
        return {"function": self.function, "args": [_data(a) for a in self.args],
                "kwargs": {k: _data(v) for k, v in self.kwargs.items()}, "grads": list(self.grads),
                "cotangent": self.cotangent, "repeat": self.repeat, "scenario": _data(self.scenario)}

    @classmethod
    def from_data(cls, data: dict) -> Call:
        return cls(data["function"], tuple(map(_recipe, data["args"])),
                   {k: _recipe(v) for k, v in data["kwargs"].items()}, tuple(data["grads"]), data["cotangent"],
                   data["repeat"], _recipe(data["scenario"]))


def _data(value):
    return {"recipe": value.name, "params": list(value.params)} if isinstance(value, Recipe) else value


def _recipe(value):
    return Recipe(value["recipe"], tuple(value["params"])) if isinstance(value, dict) and "recipe" in value else value


@dataclass
class Output:
    """What a call gave back, as data: its value (tensors detached, on the CPU; a list of values when
    the call was repeated), the gradients asked for (None where none flowed), or the error it raised
    ("TypeName: message")."""

    value: object = None
    grads: list = field(default_factory=list)
    error: str = ""


@dataclass
class Judged:
    call: Call
    check: Callable[[Output], None]  # raises Mismatch


@dataclass(frozen=True)
class Case:
    """One judged case of a kata function: ``make(draw)`` gives the call and its check."""

    function: str
    name: str
    make: Callable[[Draw], Judged]

    @property
    def label(self) -> str:
        return f"{self.function}[{self.name}]"


class Draw:
    """The inputs of one case, drawn from a generator seeded for it (float64 unless asked)."""

    def __init__(self, seed: int):
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)

    def normal(self, *shape: int, dtype: torch.dtype = torch.float64, scale: float = 1.0) -> torch.Tensor:
        return torch.randn(shape, generator=self.generator, dtype=dtype) * scale

    def uniform(self, *shape: int, low: float = 0.0, high: float = 1.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        return low + (high - low) * torch.rand(shape, generator=self.generator, dtype=dtype)

    def integers(self, low: int, high: int, *shape: int) -> torch.Tensor:
        return torch.randint(low, high, shape, generator=self.generator)

    def size(self, low: int, high: int) -> int:
        """A dimension's size in [low, high]."""
        return int(torch.randint(low, high + 1, (), generator=self.generator))

    def number(self, low: float, high: float) -> float:
        """A Python float in [low, high)."""
        return low + (high - low) * float(torch.rand((), generator=self.generator, dtype=torch.float64))

    def fresh_seed(self) -> int:
        """A seed for a generator the worker builds (``Recipe("generator", (seed,))``)."""
        return int(torch.randint(0, 2**31, (), generator=self.generator))

    def choice(self, options: list):
        return options[self.size(0, len(options) - 1)]

    def shuffled(self, items: list) -> list:
        return [items[i] for i in torch.randperm(len(items), generator=self.generator).tolist()]


def judged(function: str, registry: list[Case]) -> Callable:
    """Register the decorated ``make(draw) -> Judged`` as a case of ``function`` in ``registry``."""

    def register(make: Callable[[Draw], Judged]) -> Callable[[Draw], Judged]:
        registry.append(Case(function, make.__name__, make))
        return make

    return register


def case_seed(seed: int, case: Case) -> int:
    """Each case's own seed, from the run's: the same run draws the same inputs in the judge twice."""
    return (seed * 1_000_003 + sum(map(ord, case.label)) * 7919) % (1 << 62)


# --------------------------------------------------------------------------------------------------
# Checks: what the judge compares, with the tests' own tolerances


def expect_tensor(value, expected: torch.Tensor, *, what: str = "the result", rtol: float | None = None,
                  atol: float | None = None, equal_nan: bool = False) -> None:
    """Type, shape and dtype, then values (torch.testing's tolerances by default)."""
    if not isinstance(value, torch.Tensor):
        raise Mismatch(f"{what} should be a tensor, got {type(value).__name__}")
    if value.shape != expected.shape:
        raise Mismatch(f"{what} has shape {tuple(value.shape)}, expected {tuple(expected.shape)}")
    if value.dtype != expected.dtype:
        raise Mismatch(f"{what} has dtype {value.dtype}, expected {expected.dtype}")
    default_rtol, default_atol = _TOLERANCES.get(expected.dtype, (0.0, 0.0))
    differs = _mismatch(value, expected.detach().cpu(), default_rtol if rtol is None else rtol,
                        default_atol if atol is None else atol, equal_nan)
    if differs:
        raise Mismatch(f"{what} has wrong values.\n{differs}")


def expect_returned(output: Output) -> None:
    if output.error:
        raise Mismatch(f"raised {output.error}")


def expect_values(output: Output, expected: torch.Tensor, **tolerances) -> None:
    """A call that returns ``expected``."""
    expect_returned(output)
    expect_tensor(output.value, expected, **tolerances)


def expect_grads(output: Output, expected: list[torch.Tensor], names: list[str], **tolerances) -> None:
    """The gradients asked for, each equal to its expected one."""
    expect_returned(output)
    for grad, want, name in zip(output.grads, expected, names):
        if grad is None:
            raise Mismatch(f"no gradient reached `{name}`")
        expect_tensor(grad, want, what=f"the gradient of `{name}`", **tolerances)


def expected_grads(function: Callable, args: tuple, positions: tuple[int, ...], cotangent: torch.Tensor | None):
    """The gradients of sum(function(*args) * cotangent) with respect to the given arguments,
    computed here, on copies."""
    inputs = [a.detach().clone().requires_grad_(i in positions) if isinstance(a, torch.Tensor) else a
              for i, a in enumerate(args)]
    result = function(*inputs)
    upstream = torch.ones_like(result) if cotangent is None else cotangent
    return list(torch.autograd.grad((result * upstream).sum(), [inputs[i] for i in positions]))


def first_nonfinite_as_backward_runs(loss: torch.Tensor) -> str | None:
    """Runs ``loss.backward()`` with a hook on every node of its graph; returns the class name of the
    first node, in the order backward calls the hooks, whose computed gradients are not all finite."""
    flagged, seen, stack, handles = [], set(), [loss.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        handles.append(node.register_hook(
            lambda grads, _, node=node: flagged.append(type(node).__name__)
            if any(g is not None and not g.isfinite().all() for g in grads) else None))
        stack.extend(next_node for next_node, _ in node.next_functions)
    loss.backward()
    for handle in handles:
        handle.remove()
    return flagged[0] if flagged else None


def expect_data(value, expected, *, what: str = "the result") -> None:
    """Data other than tensors (numbers, names, flags, and lists, tuples and dicts of them): equal, of
    the same types."""
    if not _same_data(value, expected):
        raise Mismatch(f"{what} is {value!r:.300}, expected {expected!r:.300}")


def _same_data(value, expected) -> bool:
    if type(value) is not type(expected):
        return False
    if isinstance(expected, (list, tuple)):
        return len(value) == len(expected) and all(map(_same_data, value, expected))
    if isinstance(expected, dict):
        return value.keys() == expected.keys() and all(_same_data(value[k], expected[k]) for k in expected)
    return value == expected


def expect_returned_data(output: Output, expected) -> None:
    """A call that returns the data ``expected`` (see ``expect_data``)."""
    expect_returned(output)
    expect_data(output.value, expected)


def expect_structure(value, shape: tuple[int, ...], dtype: torch.dtype, *, what: str = "the result") -> None:
    """Type, shape and dtype of a random result, whose values cannot be compared one by one."""
    if not isinstance(value, torch.Tensor):
        raise Mismatch(f"{what} should be a tensor, got {type(value).__name__}")
    if value.shape != shape or value.dtype != dtype:
        raise Mismatch(f"{what} is a {value.dtype} tensor of shape {tuple(value.shape)}, expected a {dtype} tensor "
                       f"of shape {tuple(shape)}")


# Random results: statistics within Z standard errors of what they estimate, as the tests check them, never
# compared with one particular random stream. Z is wider than the tests' 5 (whose seeds are fixed): the judge
# draws afresh every time, and a right solution should fail one statistic in about 5e8.
Z = 6.0


def expect_within(estimate: torch.Tensor, expected: torch.Tensor, standard_error: torch.Tensor, *, what: str) -> None:
    """Every element of a statistic within Z standard errors of its expected value."""
    estimate, expected, standard_error = (t.reshape(-1) for t in torch.broadcast_tensors(
        *(torch.as_tensor(t).detach().double() for t in (estimate, expected, standard_error))))
    off = ((estimate - expected).abs() / standard_error).nan_to_num(float("inf"))
    if (off > Z).any():
        worst = int(off.argmax())
        raise Mismatch(f"{what} is off by {off[worst]:.1f} standard errors (allowed {Z:g}) at flat index {worst}: "
                       f"got {estimate[worst]:.5g}, expected {expected[worst]:.5g} +- {standard_error[worst]:.2g}")


def expect_uncorrelated(samples: torch.Tensor, *, what: str) -> None:
    """samples (N, ...): every pair of output positions has a sample correlation near 0."""
    flat = samples.detach().double().reshape(samples.shape[0], -1)
    centred = flat - flat.mean(0)
    scaled = centred / centred.norm(dim=0)
    correlation = scaled.T @ scaled - torch.eye(flat.shape[1], dtype=torch.float64)
    allowed = Z / flat.shape[0] ** 0.5
    worst = int(correlation.abs().nan_to_num(float("inf")).argmax())
    i, j = divmod(worst, flat.shape[1])
    if not correlation.abs().max() <= allowed:
        raise Mismatch(f"{what}: output positions {i} and {j} (flattened) have correlation {correlation[i, j]:.3f} "
                       f"over {flat.shape[0]} samples; independent samples give about 0 (allowed {allowed:.3f})")


def expect_fractions_below(values: torch.Tensor, points: list[float], expected: list[float], *, what: str) -> None:
    """The fraction of values below each point within Z binomial standard errors of the expected one."""
    values = values.detach().double().reshape(-1)
    got = torch.stack([(values < point).double().mean() for point in points])
    want = torch.tensor(expected, dtype=torch.float64)
    expect_within(got, want, (want * (1 - want) / values.numel()).sqrt(),
                  what=f"the fraction of {what} below {points}")


# --------------------------------------------------------------------------------------------------
# The cases of a kata, and running them in the student's own pytest


def load_cases(path: Path) -> list[Case]:
    """The CASES list of a judge file, loaded by path (it imports no kata code)."""
    spec = importlib.util.spec_from_file_location(f"kata_judge.{path.parent.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.CASES)


def judged_tests(test_file: str):
    """A test that runs every judged case of this kata in-process, on a fresh draw each run."""
    from .drive import perform
    from .loader import implementation

    kata = kata_of(Path(test_file))
    cases = load_cases(judge_file(kata, Path(test_file).resolve().parent.parent))
    module = implementation(test_file)

    @pytest.mark.parametrize("case", [pytest.param(c, marks=pytest.mark.checks(c.function), id=f"judged-{c.label}")
                                      for c in cases])
    def test_judged(case: Case) -> None:
        """The judge's case, as grading runs it on inputs it draws: same call, same check."""
        __tracebackhide__ = True
        seed = secrets.randbits(62)
        made = case.make(Draw(seed))
        try:
            made.check(perform(made.call, module, reraise=True))
        except Mismatch as mismatch:
            fail(f"the judge's case {case.label} (seed {seed}): {mismatch}")

    return test_judged
