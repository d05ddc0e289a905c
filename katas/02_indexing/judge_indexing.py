"""The judge's cases for kata 02: each function on freshly drawn inputs, checked against PyTorch's
own answer.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/02_indexing` runs the same cases here, on a fresh draw each time.
"""

import torch

from katas.harness.judge import Call, Draw, Judged, Mismatch, expect_returned, judged

CASES = []


def view_or_copy(x: torch.Tensor, shape: list[int]) -> Judged:
    """reshape_is_view(x, shape), held against whether torch's own x.reshape(shape) shares x's memory."""
    base = x if x._base is None else x._base
    expected = x.reshape(shape)._base is base

    def check(output):
        expect_returned(output)
        if type(output.value) is not bool or output.value != expected:
            raise Mismatch(f"returned {output.value!r} for x of shape {tuple(x.shape)} and strides {x.stride()} and "
                           f"shape {shape}, but x.reshape(shape) {'is a view' if expected else 'has to copy'}")

    return Judged(Call("reshape_is_view", (x, shape)), check)


def strided(draw: Draw) -> torch.Tensor:
    """x of random sizes (1s among them), cut from a larger tensor by steps, its dims permuted."""
    sizes = [draw.size(1, 4) for _ in range(draw.size(1, 4))]
    steps = [draw.size(1, 2) for _ in sizes]
    x = torch.zeros([size * step for size, step in zip(sizes, steps)])[tuple(slice(None, None, s) for s in steps)]
    return x.permute(torch.randperm(len(sizes), generator=draw.generator).tolist())


def regrouped(draw: Draw, numel: int) -> list[int]:
    """A shape that holds numel elements: its factors, in a random order and grouping."""
    factors, rest = [], numel
    for prime in (2, 3):  # the sizes are 1 to 4
        while rest % prime == 0:
            factors.append(prime)
            rest //= prime
    order = torch.randperm(len(factors), generator=draw.generator).tolist()
    shape = []
    for position in order:
        if shape and draw.size(0, 1):
            shape[-1] *= factors[position]
        else:
            shape.append(factors[position])
    return shape or [1]


@judged("reshape_is_view", CASES)
def random_layout(draw):
    x = strided(draw)
    return view_or_copy(x, regrouped(draw, x.numel()))


@judged("reshape_is_view", CASES)
def split_after_transpose(draw):
    rows, cols = draw.size(2, 5), draw.size(2, 3)
    return view_or_copy(torch.zeros(rows, 2 * cols).t(), [2, cols, rows])


@judged("reshape_is_view", CASES)
def merged_after_transpose(draw):
    rows, cols = draw.size(2, 5), draw.size(2, 5)
    return view_or_copy(torch.zeros(rows, cols).t(), [rows * cols])
