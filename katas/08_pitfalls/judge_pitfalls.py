"""The judge's cases for kata 08: each trap set on freshly drawn inputs, the answer and its gradients
computed another way: residuals brought to one shape, log-softmax as x - logsumexp(x) (huge logits too),
masked means with garbage padding and empty rows, nonfinite gradients in a model with tied weights, and
the size and contents of a saved sample.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/08_pitfalls` runs the same cases here, on a fresh draw each time.
"""

import torch

from katas.harness.builders import model, nonfinite_loss
from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_data, expect_grads, expect_returned, expect_tensor, expect_values,
    expected_grads, first_nonfinite_as_backward_runs, judged,
)

CASES = []


def differentiable(draw, function: str, args: tuple, expected, kwargs=None, **tolerances) -> Judged:
    """``function(*args, **kwargs)``: its value, and the gradient of every tensor argument for a random
    cotangent, computed by ``expected(*args)`` here."""
    value = expected(*args)
    cotangent = draw.normal(*value.shape)
    positions = tuple(i for i, a in enumerate(args) if isinstance(a, torch.Tensor) and a.is_floating_point())
    grads = expected_grads(expected, args, positions, cotangent)

    def check(output):
        expect_values(output, value, **tolerances)
        expect_grads(output, grads, [f"argument {i}" for i in positions], **tolerances)

    return Judged(Call(function, args, kwargs or {}, grads=positions, cotangent=cotangent), check)


# regression_loss ----------------------------------------------------------------------------------

def l2_of_residuals(x, w, y):
    """Predictions and targets as flat vectors, root of the sum of squares."""
    return (x @ w.flatten() - y.flatten()).square().sum().sqrt()


def regression_case(draw, w_column: bool, y_column: bool) -> Judged:
    n, d = draw.size(3, 8), draw.size(2, 4)
    x, w, y = draw.normal(n, d), draw.normal(d, 1) if w_column else draw.normal(d), draw.normal(n)
    return differentiable(draw, "regression_loss", (x, w, y[:, None] if y_column else y), l2_of_residuals)


@judged("regression_loss", CASES)
def lecture_shapes(draw):
    """w (D, 1) and y (N,), the pair the shipped code turns into an (N, N) table."""
    return regression_case(draw, w_column=True, y_column=False)


@judged("regression_loss", CASES)
def flat_weights_column_targets(draw):
    """w (D,) and y (N, 1): the mirror image."""
    return regression_case(draw, w_column=False, y_column=True)


# stable_log_softmax -------------------------------------------------------------------------------

def log_softmax(x, dim: int) -> torch.Tensor:
    return x - torch.logsumexp(x, dim, keepdim=True)


@judged("stable_log_softmax", CASES)
def any_dim(draw):
    """x of 2 or 3 dims of distinct sizes, along a dim drawn among the others than the last (negative
    or not)."""
    shape = tuple(draw.shuffled([2, 3, 4, 5])[: draw.size(2, 3)])
    x = draw.uniform(*shape, low=-5, high=5)
    dim = draw.choice([d for d in range(-len(shape), len(shape)) if d % len(shape) != len(shape) - 1])
    return differentiable(draw, "stable_log_softmax", (x,), lambda x: log_softmax(x, dim), {"dim": dim})


@judged("stable_log_softmax", CASES)
def huge_logits(draw):
    """Logits of magnitude up to 1e4, a row of ties at 1e4 and a row near -1e4, along the default dim -1."""
    x = draw.uniform(4, 9, low=-1e4, high=1e4)
    x[0] = 1e4
    x[1] = -1e4 + torch.arange(9)
    # x - m - log(sum(exp(x - m))) subtracts numbers as large as 1e4, each rounded by about 2e-12 in float64.
    return differentiable(draw, "stable_log_softmax", (x,), lambda x: log_softmax(x, -1), atol=1e-7)


# masked_mean --------------------------------------------------------------------------------------

def padding_mask(draw, shape: tuple[int, ...], dim: int) -> torch.Tensor:
    """A random mask along dim, with one row (all entries along dim) empty, one full and one partly
    kept."""
    mask = (draw.uniform(*shape) < 0.6).movedim(dim, -1).clone()
    rows = mask.reshape(-1, shape[dim])
    rows[0], rows[-1], rows[1, 0], rows[1, -1] = False, True, True, False
    return rows.reshape(mask.shape).movedim(-1, dim)


def mask_case(draw) -> tuple[tuple[int, ...], int, torch.Tensor]:
    shape = tuple(draw.size(3, 5) for _ in range(draw.size(2, 3)))
    dim = draw.choice(list(range(-len(shape), len(shape))))
    return shape, dim, padding_mask(draw, shape, dim)


@judged("masked_mean", CASES)
def garbage_padding_and_empty_rows(draw):
    """inf, -inf and nan where mask is False, a row with no True entry: the mean of the kept entries (0
    in the empty row), and a finite gradient, upstream / count on kept entries, 0 elsewhere."""
    shape, dim, mask = mask_case(draw)
    clean = draw.uniform(*shape, low=-3, high=3)
    junk = torch.tensor([float("inf"), float("-inf"), float("nan")], dtype=torch.float64).repeat(clean.numel())
    x = torch.where(mask, clean, junk[: clean.numel()].reshape(shape))
    count = mask.sum(dim)
    expected = torch.where(mask, clean, 0.0).sum(dim) / count.clamp_min(1)
    cotangent = draw.normal(*expected.shape)
    grad = cotangent.unsqueeze(dim) * mask / count.clamp_min(1).unsqueeze(dim)

    def check(output):
        expect_values(output, expected)
        expect_grads(output, [grad], ["x"])

    return Judged(Call("masked_mean", (x, mask, dim), grads=(0,), cotangent=cotangent), check)


@judged("masked_mean", CASES)
def nonfinite_data_shows(draw):
    """A nan or an inf where mask is True is data: a row holding a kept nan averages nan, one holding a
    kept inf averages inf (and an empty row 0)."""
    rows, length = draw.size(3, 5), draw.size(2, 5)
    x, mask = draw.uniform(rows, length, low=-3, high=3), draw.uniform(rows, length) < 0.6
    mask[0], mask[1], mask[-1] = False, True, True
    x[1, draw.size(0, length - 1)] = float("inf")
    x[-1, draw.size(0, length - 1)] = float("nan")
    expected = torch.where(mask, x, 0.0).sum(1) / mask.sum(1).clamp_min(1)
    dim = draw.choice([0, 1, -1, -2])
    if dim % 2 == 0:  # the rows along dim 0 instead
        x, mask = x.t(), mask.t()
    return Judged(Call("masked_mean", (x, mask, dim)), lambda output: expect_values(output, expected, equal_nan=True))


# nonfinite_grads ----------------------------------------------------------------------------------

@judged("nonfinite_grads", CASES)
def spoiled_tied_and_missing(draw):
    """A model whose parameter names are not in alphabetical order, with an embedding tied to an output
    layer; finite gradients, some huge (their sum overflows), some missing, and a nan, an inf or a -inf in
    a few, among them both tensors of one layer and the tied weight: their names, in model order, and
    every gradient left as it was."""
    vocabulary, width = draw.size(3, 6), draw.size(2, 4)
    layers = [("Embedding", (vocabulary, width), {}), ("LayerNorm", (width,), {}),
              ("Linear", (width, vocabulary), {}), ("Scalar", (), {}), ("Linear", (vocabulary, 2), {})]
    spec = (layers, [("2.weight", "0.weight")], [], draw.fresh_seed())
    shapes = {name: p.shape for name, p in model(*spec).named_parameters()}  # 0.weight once: 2.weight is it
    names = list(shapes)
    spoiled = ["0.weight", "4.weight", "4.bias"] + draw.shuffled(["1.weight", "1.bias", "2.bias", "3.value"])[:1]
    others = draw.shuffled([name for name in names if name not in spoiled])  # others[0]: left without a grad
    huge = [name for name in others[1:] if name != "3.value"]  # two or more entries: their sum overflows
    grads = {}
    for number, name in enumerate(draw.shuffled(spoiled)):
        grad = grads[name] = draw.normal(*shapes[name])
        grad.view(-1)[draw.size(0, grad.numel() - 1)] = (float("nan"), float("inf"), -float("inf"))[number % 3]
    for name in others[1:]:
        grads[name] = draw.normal(*shapes[name])
        if name in huge:
            grads[name].fill_(0.75 * torch.finfo(torch.float64).max)
    expected = [name for name in names if name in spoiled]

    def check(output):
        expect_returned(output)
        expect_data(output.value["result"], expected)
        for name in names:
            after = output.value["grads"][name]
            if name in grads:
                expect_tensor(after, grads[name], rtol=0, atol=0, equal_nan=True,
                              what=f"the gradient of {name} (only look at the gradients)")
            else:
                expect_data(after, None, what=f"the gradient of {name}")

    return Judged(Call("nonfinite_grads", (Recipe("model", spec),), scenario=Recipe("with_grads", (grads,))), check)


# save_sample --------------------------------------------------------------------------------------

def saved(index: int, batch: torch.Tensor) -> Judged:
    """save_sample(batch, index, path): a file that holds the sample alone (at least its bytes, under a
    quarter of the batch's) and loads as an equal tensor."""
    sample = batch[index]

    def check(output):
        expect_returned(output)
        size = output.value["bytes"]
        if not sample.nbytes <= size < batch.nbytes // 4:
            raise Mismatch(f"wrote {size} bytes for a sample of {sample.nbytes} bytes from a batch of {batch.nbytes}: "
                           "batch[index] is a view, and torch.save writes its whole storage")
        expect_tensor(output.value["loaded"], sample, rtol=0, atol=0, what="the tensor loaded back")

    return Judged(Call("save_sample", (batch, index), scenario=Recipe("saved_file")), check)


@judged("save_sample", CASES)
def one_sample(draw):
    """A row of a (rows, features) batch, or an image of a (rows, C, H, W) batch, index from either end."""
    rows = draw.size(64, 96)
    batch = draw.choice([draw.normal(rows, draw.size(16, 32)), draw.normal(rows, 2, 4, draw.size(4, 8))])
    return saved(draw.size(0, rows - 1) - draw.choice([0, rows]), batch)


@judged("save_sample", CASES)
def row_of_a_transposed_batch(draw):
    """A row of a transposed batch: a strided view into all of it."""
    features = draw.size(64, 96)
    return saved(draw.size(0, features - 1), draw.normal(draw.size(16, 32), features).t())


# first_nonfinite_backward -------------------------------------------------------------------------

KINDS = ["conv_nan", "sqrt_chain", "branches_log_later", "branches_sqrt_later", "finite"]


@judged("first_nonfinite_backward", CASES)
def drawn_graph(draw):
    """One of the graphs, drawn, with drawn values."""
    kind, seed = draw.choice(KINDS), draw.fresh_seed()
    expected = first_nonfinite_as_backward_runs(nonfinite_loss(kind, seed))

    def check(output):
        expect_returned(output)
        expect_data(output.value, expected, what=f"the first node with a non-finite gradient ({kind})")

    return Judged(Call("first_nonfinite_backward", (Recipe("nonfinite_loss", (kind, seed)),)), check)
