"""Tests for kata 03, einsum. Run: pytest katas/03_einsum (add -k matmul for one function).

Each function is a case below: input shapes, the answer computed another way, shapes it must
reject. The generic tests check every case for values, gradients and errors; the harness adds
the kata's rules to every call (torch.einsum required, matmul-like calls forbidden, inputs unchanged).
"""

import math
from dataclasses import dataclass
from typing import Callable

import pytest
import torch
import torch.nn.functional as F
from torch.testing import make_tensor

from katas.harness import (
    assert_grad, assert_tensor, cases, fail, gradients, implementation, judged_tests, raises_value_error,
    shape_words,
)

einsum_ops = implementation(__file__)

Shapes = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class Case:
    shapes: list[Shapes]  # input shapes to try, with distinct sizes so transposes show
    expected: Callable[..., torch.Tensor]  # the same maths, written without einsum
    bad_shapes: list[Shapes]  # inputs that must be rejected with a ValueError naming the shapes
    hint: str  # shown when values differ


CASES = {
    "transpose": Case(
        [((3, 5),), ((1, 4),)], lambda a: a.T,
        [((3,),), ((2, 3, 4),)],
        "the output's letters, in the order you write them, are its dims: out[j, i] is a[i, j]",
    ),
    "total_sum": Case(
        [((3, 5),)], torch.sum,
        [((3,),), ((2, 3, 4),)],
        "every letter left out of the output is summed over, so an output with no letters is the sum of everything",
    ),
    "dot": Case(
        [((5,), (5,))], torch.dot,
        [((5,), (4,)), ((5, 1), (5,)), ((5,), (1, 5))],
        "one letter shared by both vectors: multiplied along, and summed because the output leaves it out",
    ),
    "matmul": Case(
        [((3, 4), (4, 5))], torch.matmul,
        [((3, 4), (5, 6)), ((4,), (4, 5)), ((2, 3, 4), (4, 5))],
        "out[i, j] sums a[i, k] * b[k, j] over k: the shared letter goes, the others stay in order",
    ),
    "batched_matmul": Case(
        [((2, 3, 4), (2, 4, 5))], torch.bmm,
        [((2, 3, 4), (3, 4, 5)), ((2, 3, 4), (2, 5, 6)), ((3, 4), (4, 5))],
        "the batch letter appears in both inputs and in the output: carried along, not summed",
    ),
    "hadamard": Case(
        [((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4)), ((5,), (5,))], torch.mul,
        [((3, 1), (3, 4)), ((4,), (3, 4)), ((3, 4), (4, 3))],
        "a letter in every input and in the output is multiplied elementwise, never summed",
    ),
    "outer": Case(
        [((3,), (5,))], torch.outer,
        [((3, 1), (5,)), ((3,), (2, 5))],
        "no letter is shared: out[i, j] is u[i] * v[j]",
    ),
    "row_sums": Case(
        [((3, 5),)], lambda a: a.sum(dim=1),
        [((3,),), ((2, 3, 4),)],
        "a letter left out of the output is summed over: which of a's two letters does a row sum keep?",
    ),
    "trace": Case(
        [((4, 4),)], torch.trace,
        [((3, 4),), ((4,),)],
        "a letter repeated in one input walks the diagonal; leaving it out of the output sums it",
    ),
    "diagonal": Case(
        [((4, 4),)], torch.diagonal,
        [((3, 4),), ((2, 2, 2),)],
        "a letter repeated in one input walks the diagonal; keep it in the output to get a vector",
    ),
    "linear": Case(
        [((5,), (3, 5)), ((2, 5), (3, 5)), ((2, 4, 2, 5), (3, 5))], F.linear,
        [((2, 5), (3, 4)), ((2, 5), (5,))],
        "F.linear computes x @ w.T (w is (out, in)); '...' carries any number of leading dims",
    ),
    "bilinear": Case(
        [((2, 3), (5, 3, 4), (2, 4))], lambda x, w, y: F.bilinear(x, y, w),
        [((2, 3), (5, 3, 4), (3, 4)), ((2, 3), (5, 4, 4), (2, 4)), ((2, 3), (5, 3, 4), (2, 6))],
        "out[b, o] sums x[b, i] * w[o, i, j] * y[b, j] over i and j",
    ),
    "attention_scores": Case(  # D = 8: its scale 8 ** -0.5 is no other size and no round constant
        [((2, 3, 5, 8), (2, 3, 6, 8))], lambda q, k: q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]),
        [((2, 3, 5, 4), (2, 3, 6, 8)), ((2, 3, 5, 4), (2, 2, 6, 4)), ((3, 5, 4), (3, 6, 4))],
        "scores are q . k over the last dim for every (t, s) pair, times D ** -0.5",
    ),
    "pairwise_sq_dists": Case(
        [((5, 3), (6, 3))], lambda x, y: ((x[:, None, :] - y[None, :, :]) ** 2).sum(dim=-1),
        [((5, 3), (6, 4)), ((5,), (6, 3))],
        "out[n, m] is the squared distance between x[n] and y[m]: if you expanded the square, look at the shape of "
        "each term before they broadcast together",
    ),
}


def inputs(shapes: Shapes, device: str, dtype: torch.dtype, **options) -> list[torch.Tensor]:
    return [make_tensor(shape, device=device, dtype=dtype, low=-2, high=2, **options) for shape in shapes]


def in_float64(function: Callable, tensors: list[torch.Tensor], dtype: torch.dtype) -> torch.Tensor:
    """The expected answer, computed in float64 so rounding in it never blames the student."""
    return function(*(t.double() for t in tensors)).to(dtype)


@pytest.mark.parametrize("name", cases(lambda name: name, CASES))
def test_values(name, device, dtype):
    case = CASES[name]
    for shapes in case.shapes:
        args = inputs(shapes, device, dtype)
        result = getattr(einsum_ops, name)(*args)
        assert_tensor(result, in_float64(case.expected, args, dtype), what=f"the result for shapes {shapes}",
                      hint=case.hint)


@pytest.mark.parametrize("name", cases(lambda name: name, CASES))
def test_gradients(name, device, dtype):
    """Gradients flow to every input, also from non-contiguous (strided) inputs."""
    case = CASES[name]
    for shapes in case.shapes:
        args = inputs(shapes, device, dtype, noncontiguous=True, requires_grad=True)
        result = getattr(einsum_ops, name)(*args)
        expected = in_float64(case.expected, args, dtype)
        assert_tensor(result, expected, what=f"the result for non-contiguous inputs {shapes}", hint=case.hint)
        upstream = torch.randn_like(expected)
        expected_grads = gradients(case.expected(*args), args, upstream)
        for position, (grad, want) in enumerate(zip(gradients(result, args, upstream), expected_grads)):
            assert_grad(grad, want, name=f"input {position + 1}")


@pytest.mark.parametrize("name", cases(lambda name: name, CASES))
def test_rejects_mismatched_shapes(name, device):
    for shapes in CASES[name].bad_shapes:
        args = inputs(shapes, device, torch.float32)
        with raises_value_error(*shape_words(*shapes), case=f"shapes {shapes} (name every shape in the message)"):
            getattr(einsum_ops, name)(*args)


@pytest.mark.checks("linear")
def test_linear_transposed_batch(device, dtype):
    """Leading dims whose strides do not line up: a (T, B, I) tensor transposed to (B, T, I)."""
    x = make_tensor((4, 2, 5), device=device, dtype=dtype, low=-2, high=2).transpose(0, 1)
    w = make_tensor((3, 5), device=device, dtype=dtype, low=-2, high=2)
    assert_tensor(einsum_ops.linear(x, w), in_float64(F.linear, [x, w], dtype),
                  what="the result for x of shape (2, 4, 5), a transposed (4, 2, 5)",
                  hint="'...' takes leading dims of any strides, while a view that merges them works only when "
                  "their elements lie one after another in memory")


@pytest.mark.checks("pairwise_sq_dists")
def test_pairwise_sq_dists_never_negative(device, dtype):
    # Large, nearly equal points: |x|^2 - 2 x.y + |y|^2 loses every digit and can dip below zero.
    x = 1000 + make_tensor((64, 3), device=device, dtype=dtype, low=-1e-3, high=1e-3)
    result = einsum_ops.pairwise_sq_dists(x, x)
    if (result < 0).any():
        fail(f"{(result < 0).sum()} distances are negative (smallest {result.min().item():.3g}). Rounding makes "
             "the expanded formula dip below zero for nearby points, and a squared distance never may be negative.")


# The judge's cases (judge_einsum_ops.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
