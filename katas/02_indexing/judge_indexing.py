"""The judge's cases for kata 02: each function on freshly drawn shapes and values against PyTorch's own
answer (plain indexing, F.cross_entropy, F.one_hot, chunk and cat, F.unfold), with the gradients of the
differentiable ones, and the layout the contract promises (split_heads a view, merge_heads contiguous).

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/02_indexing` runs the same cases here, on a fresh draw each time.
"""

import torch
import torch.nn.functional as F

from katas.harness.judge import (
    Call, Draw, Judged, Mismatch, Recipe, expect_grads, expect_returned, expect_tensor, expect_values, expected_grads,
    judged,
)

CASES = []


def differentiable(draw, function: str, args: tuple, expected, kwargs=None, **tolerances) -> Judged:
    """``function(*args, **kwargs)``: its value, and the gradient of its first argument for a random
    cotangent, both computed by ``expected`` here."""
    value = expected(*args)
    cotangent = draw.normal(*value.shape)
    grads = expected_grads(expected, args, (0,), cotangent)

    def check(output):
        expect_values(output, value, equal_nan=True, **tolerances)
        expect_grads(output, grads, ["the first argument"], **tolerances)

    return Judged(Call(function, args, kwargs or {}, grads=(0,), cotangent=cotangent), check)


# pick ---------------------------------------------------------------------------------------------

def picking(draw, rows: int) -> Judged:
    classes = draw.size(1, 6)
    probs, targets = draw.uniform(rows, classes), draw.integers(0, classes, rows)
    return differentiable(draw, "pick", (probs, targets), lambda p, t: p[torch.arange(rows), t])


@judged("pick", CASES)
def rows_drawn(draw):
    return picking(draw, draw.size(2, 7))


@judged("pick", CASES)
def single_row(draw):
    return picking(draw, 1)


# cross_entropy ------------------------------------------------------------------------------------

def cross_entropy_case(draw, positions: tuple[int, ...], reduction: str, ignore_index: int | None,
                       ignored: float = 0.3, scale: float = 3.0, **tolerances) -> Judged:
    """Logits (N, C, *positions) uniform in [-scale, scale]; a fraction ``ignored`` of the targets (the
    first one at least, if any) set to ``ignore_index`` (None: the default, -100)."""
    n, classes = draw.size(2, 5), draw.size(3, 5)
    logits = draw.uniform(n, classes, *positions, low=-scale, high=scale)
    targets = draw.integers(0, classes, n, *positions)
    skip = -100 if ignore_index is None else ignore_index
    dropped = draw.uniform(*targets.shape) < ignored
    dropped.view(-1)[0] = ignored > 0
    targets = torch.where(dropped, skip, targets)
    options = {"reduction": reduction} | ({} if ignore_index is None else {"ignore_index": ignore_index})
    return differentiable(draw, "cross_entropy", (logits, targets),
                          lambda x, t: F.cross_entropy(x, t, **options), kwargs=options, **tolerances)


@judged("cross_entropy", CASES)
def mean_of_rows(draw):
    return cross_entropy_case(draw, (), "mean", None)


@judged("cross_entropy", CASES)
def sum_over_positions(draw):
    """(N, C, d1) logits; a real class as ignore_index."""
    return cross_entropy_case(draw, (draw.size(2, 4),), "sum", ignore_index=draw.size(0, 1))


@judged("cross_entropy", CASES)
def none_over_a_grid(draw):
    return cross_entropy_case(draw, (draw.size(1, 3), draw.size(1, 3)), "none", None)


@judged("cross_entropy", CASES)
def huge_logits(draw):
    """Logits of magnitude 1e4: exp overflows unless each position's max is subtracted first."""
    return cross_entropy_case(draw, (draw.size(2, 4),), "mean", None, ignored=0.0, scale=1e4, rtol=1e-3, atol=1e-2)


@judged("cross_entropy", CASES)
def every_target_ignored(draw):
    """Nothing left to average: mean is 0 / 0 = nan, as PyTorch gives."""
    return cross_entropy_case(draw, (), "mean", None, ignored=1.0)


# one_hot ------------------------------------------------------------------------------------------

def one_hot_case(labels: torch.Tensor, num_classes: int) -> Judged:
    expected = F.one_hot(labels.long(), num_classes)
    return Judged(Call("one_hot", (labels, num_classes)), lambda output: expect_values(output, expected))


@judged("one_hot", CASES)
def inferred_classes(draw):
    """num_classes=-1: labels.max() + 1 classes, labels of 0 to 3 dims."""
    labels = draw.integers(0, draw.size(1, 6), *(draw.size(1, 4) for _ in range(draw.size(0, 3))))
    return one_hot_case(labels, -1)


@judged("one_hot", CASES)
def narrow_integer_labels(draw):
    """int32, int16 or uint8 labels (any integer dtype is a class index) and num_classes given."""
    dtype = draw.choice([torch.int32, torch.int16, torch.uint8])
    labels = draw.integers(0, 5, draw.size(1, 3), draw.size(1, 4)).to(dtype)
    return one_hot_case(labels, draw.size(5, 8))


@judged("one_hot", CASES)
def empty_labels(draw):
    return one_hot_case(torch.zeros(draw.choice([(0,), (2, 0)]), dtype=torch.int64), draw.size(1, 5))


# split_heads and merge_heads ----------------------------------------------------------------------

def heads_by_chunks(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(B, T, H*D) -> (B, H, T, D): head h is the h-th chunk of D consecutive features."""
    return torch.stack(x.chunk(num_heads, dim=-1), dim=1)


def merged(x: torch.Tensor) -> torch.Tensor:
    return torch.cat(x.unbind(dim=1), dim=-1)


def expect_layout(output, expected: torch.Tensor, *, view: bool | None = None, contiguous: bool | None = None) -> None:
    expect_returned(output)
    expect_tensor(output.value["result"], expected)
    if view is not None and output.value["shares_storage"] is not view:
        raise Mismatch("the result is a copy: it should be a view of x (sharing its storage)")
    if contiguous is not None and output.value["contiguous"] is not contiguous:
        raise Mismatch("the result is not contiguous")


def features(draw) -> tuple[torch.Tensor, int]:
    """x (B, T, H*D) and H, with T, H and D at least 2 (where a wrong order of dims shows)."""
    heads = draw.size(2, 4)
    return draw.normal(draw.size(1, 3), draw.size(2, 4), heads * draw.size(2, 3)), heads


@judged("split_heads", CASES)
def heads_drawn(draw):
    return differentiable(draw, "split_heads", features(draw), heads_by_chunks)


@judged("split_heads", CASES)
def a_view_of_x(draw):
    x, heads = features(draw)
    expected = heads_by_chunks(x, heads)
    return Judged(Call("split_heads", (x, heads), scenario=Recipe("layout")),
                  lambda output: expect_layout(output, expected, view=True))


@judged("merge_heads", CASES)
def heads_merged(draw):
    x = draw.normal(draw.size(1, 3), draw.size(2, 4), draw.size(2, 4), draw.size(2, 3))
    return differentiable(draw, "merge_heads", (x,), merged)


@judged("merge_heads", CASES)
def heads_of_every_other_sequence(draw):
    """The heads of x[::2], as split_heads makes them: views with gaps between sequences. Merged back,
    they are x[::2], contiguous."""
    heads, width = draw.size(2, 4), draw.size(1, 3)
    original = draw.normal(2 * draw.size(2, 3), draw.size(2, 4), heads * width)[::2]
    split = original.unflatten(-1, (heads, width)).transpose(1, 2)
    return Judged(Call("merge_heads", (split,), scenario=Recipe("layout")),
                  lambda output: expect_layout(output, original.contiguous(), contiguous=True))


# patchify -----------------------------------------------------------------------------------------

@judged("patchify", CASES)
def rectangular_images(draw):
    """Images (B, C, H, W) with H != W, non-contiguous (a transposed tensor), against F.unfold; several
    channels, patches of several pixels, a grid of several rows and columns, where a wrong order shows."""
    p = draw.size(2, 3)
    rows = draw.size(2, 3)
    columns = rows + draw.size(1, 2)
    images = draw.normal(draw.size(1, 2), draw.size(2, 3), columns * p, rows * p).transpose(2, 3)
    return differentiable(draw, "patchify", (images, p), lambda x, p: F.unfold(x, p, stride=p).transpose(1, 2))


# reshape_is_view ----------------------------------------------------------------------------------

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
