"""Tests for kata 02, indexing. Run: pytest katas/02_indexing (add -k one_hot for one function).

Every expected value comes from PyTorch itself, computed outside your function: plain indexing,
F.cross_entropy, F.one_hot, F.unfold, chunk and cat. The harness adds the kata's rules to every
call (gather in pick, scatter in one_hot, the forbidden shortcuts, inputs left unchanged).
"""

import random

import pytest
import torch
import torch.nn.functional as F
from torch.testing import make_tensor

from katas.harness import (
    assert_grad, assert_tensor, cases, fail, gradients, implementation, judged_tests, raises_value_error,
)

indexing = implementation(__file__)


def joined(case: tuple) -> str:
    """A test id for a case of several values: "10-4"."""
    return "-".join(map(str, case))


def in_float64(function, x: torch.Tensor, *args, **kwargs) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's own answer for x, computed in float64 so rounding in it never blames the student,
    and the float64 leaf to take its gradient with respect to."""
    x64 = x.detach().double().requires_grad_()
    return function(x64, *args, **kwargs), x64


# ---------------------------------------------------------------------------------------- pick

PICK_SHAPES = [(5, 7), (7, 3), (1, 4)]  # more rows than classes, fewer, and a single row


@pytest.mark.checks("pick")
def test_pick_values(device, dtype):
    for n, c in PICK_SHAPES:
        probs = make_tensor((n, c), device=device, dtype=dtype, low=0, high=1)
        targets = torch.randint(0, c, (n,), device=device)
        result = indexing.pick(probs, targets)
        assert_tensor(result, probs[torch.arange(n, device=device), targets], what=f"the result for probs {(n, c)}",
                      hint="out[i] is probs[i, targets[i]]; gather's result has its index's shape, so look at "
                      "the dim you remove afterwards: a squeeze without a dim also drops N when N == 1")


@pytest.mark.checks("pick")
def test_pick_gradients(device, dtype):
    """Gradients reach the picked entries only, also from non-contiguous (strided) probs."""
    for n, c in PICK_SHAPES:
        probs = make_tensor((n, c), device=device, dtype=dtype, low=0, high=1, noncontiguous=True, requires_grad=True)
        targets = torch.randint(0, c, (n,), device=device)
        result = indexing.pick(probs, targets)
        expected, probs64 = in_float64(lambda p: p[torch.arange(n, device=device), targets], probs)
        assert_tensor(result, expected.detach().to(dtype), what=f"the result for non-contiguous probs {(n, c)}")
        upstream = torch.randn_like(expected)
        (want,) = gradients(expected, [probs64], upstream)
        assert_grad(gradients(result, [probs], upstream.to(dtype))[0], want.to(dtype), name="probs")


# ------------------------------------------------------------------------------- cross_entropy

REDUCTIONS = ["mean", "sum", "none"]
CE_HINT = ("compare with F.cross_entropy's definition: the classes are dim 1 in every layout, a position's loss is "
           "the negative log-probability of its target, and a target equal to ignore_index adds 0 and is left out "
           "of the mean's count")


def ce_cases(device: str) -> list[tuple[tuple[int, ...], torch.Tensor, dict, str]]:
    """(logits shape, targets, keyword arguments, description) for (N, C), (N, C, d1) and (N, C, d1, d2) logits."""
    def targets(shape, every_third=None):
        drawn = torch.randint(0, shape[1], shape[:1] + shape[2:], device=device)
        if every_third is not None:
            drawn.view(-1)[::3] = every_third
        return drawn

    return [
        ((6, 5), targets((6, 5)), {}, "no target ignored"),
        ((1, 3), targets((1, 3)), {}, "a single row"),
        ((6, 5), targets((6, 5), -100), {}, "every third target -100 (ignored by default)"),
        ((4, 3, 5), targets((4, 3, 5), -100), {}, "every third target -100 (ignored by default)"),
        ((3, 4, 2, 5), targets((3, 4, 2, 5), -100), {}, "every third target -100 (ignored by default)"),
        ((3, 4, 2, 5), targets((3, 4, 2, 5), 2), {"ignore_index": 2},
         "ignore_index=2 (a real class, ignored all the same)"),
    ]


@pytest.mark.parametrize("reduction", cases("cross_entropy", REDUCTIONS))
def test_cross_entropy_values(reduction, device, dtype):
    for shape, targets, options, description in ce_cases(device):
        logits = make_tensor(shape, device=device, dtype=dtype, low=-3, high=3)
        result = indexing.cross_entropy(logits, targets, reduction=reduction, **options)
        expected = F.cross_entropy(logits.double(), targets, reduction=reduction, **options).to(dtype)
        assert_tensor(result, expected, what=f"the {reduction!r} loss for logits {shape}, {description},",
                      hint=CE_HINT)


@pytest.mark.parametrize("reduction", cases("cross_entropy", REDUCTIONS))
def test_cross_entropy_gradients(reduction, device, dtype):
    """Gradients equal PyTorch's, also from non-contiguous logits; ignored targets get none."""
    for shape, targets, options, description in ce_cases(device):
        logits = make_tensor(shape, device=device, dtype=dtype, low=-3, high=3, noncontiguous=True, requires_grad=True)
        result = indexing.cross_entropy(logits, targets, reduction=reduction, **options)
        expected, logits64 = in_float64(F.cross_entropy, logits, targets, reduction=reduction, **options)
        what = f"the {reduction!r} loss for non-contiguous logits {shape}, {description},"
        assert_tensor(result, expected.detach().to(dtype), what=what, hint=CE_HINT)
        upstream = torch.randn_like(expected)
        (want,) = gradients(expected, [logits64], upstream)
        assert_grad(gradients(result, [logits], upstream.to(dtype))[0], want.to(dtype), name="logits",
                    hint=f"({description}) the gradient is softmax - one_hot(target), scaled by the "
                    "reduction, and zero where the target is ignored")


@pytest.mark.checks("cross_entropy")
def test_cross_entropy_huge_logits(device, dtype):
    """Logits of magnitude 1e4: exp overflows to inf unless the max is subtracted first."""
    for shape in [(8, 5), (2, 4, 3, 3)]:
        logits = (torch.randn(shape, device=device, dtype=dtype) * 1e4).requires_grad_()
        targets = torch.randint(0, shape[1], shape[:1] + shape[2:], device=device)
        for reduction in REDUCTIONS:
            result = indexing.cross_entropy(logits, targets, reduction=reduction)
            (grad,) = gradients(result, [logits], torch.ones_like(result))
            if not torch.isfinite(result).all() or (grad is not None and not torch.isfinite(grad).all()):
                fail(f"the {reduction!r} loss (or its gradient) for logits of magnitude 1e4, shape {shape}, is "
                     "not finite: exp(1e4) overflows to inf, and inf / inf is nan. A log-softmax that stays in log "
                     "space never forms exp(1e4): read how torch.log_softmax stays finite.")
            expected = F.cross_entropy(logits.detach().double(), targets, reduction=reduction).to(dtype)
            assert_tensor(result, expected, what=f"the {reduction!r} loss for logits of magnitude 1e4, shape {shape},",
                          rtol=1e-3, atol=1e-2, hint=CE_HINT)
            expected, logits64 = in_float64(F.cross_entropy, logits, targets, reduction=reduction)
            (want,) = gradients(expected, [logits64], torch.ones_like(expected))
            # softmax - one_hot lies in [-1, 1]: an absolute tolerance, as for the values
            assert_grad(grad, want.to(dtype), name=f"logits of magnitude 1e4, {reduction!r}", rtol=0, atol=1e-3,
                        hint="the gradient of a loss computed in log space is finite and equal to PyTorch's too")


@pytest.mark.checks("cross_entropy")
def test_cross_entropy_every_target_ignored(device, dtype):
    """Nothing left to average: mean is 0 / 0 = nan, as PyTorch gives; sum is 0, none all zeros. The
    gradient is all zeros for every reduction, as F.cross_entropy's is: the contract promises its
    gradients too, and a loss zeroed by multiplying with the mask sends 0 * inf = nan back."""
    logits = make_tensor((3, 4), device=device, dtype=dtype, low=-3, high=3, requires_grad=True)
    targets = torch.full((3,), -100, device=device)
    for reduction in REDUCTIONS:
        result = indexing.cross_entropy(logits, targets, reduction=reduction)
        expected = F.cross_entropy(logits, targets, reduction=reduction)
        assert_tensor(result, expected.detach(), what=f"the {reduction!r} loss when every target is ignored",
                      equal_nan=True, hint="mean divides the sum by the number of kept targets, here 0: "
                      "PyTorch returns nan, so do not clamp the count or fall back to 0")
        upstream = torch.randn_like(expected)
        (grad,) = gradients(result, [logits], upstream)
        if grad is not None and not grad.isfinite().all():
            fail(f"the gradient of the {reduction!r} loss when every target is ignored holds "
                 f"{int((~grad.isfinite()).sum())} nan or inf of {grad.numel()}, where F.cross_entropy's is all "
                 "zeros. The mean is 0 / 0 here, and the gradient of a division by 0 is inf: an ignored "
                 "target's loss zeroed by a product with the mask sends 0 * inf = nan back to the logits, while "
                 "a loss left out by selection sends nothing back.")
        assert_grad(grad, gradients(expected, [logits], upstream)[0], name=f"logits, {reduction!r}, every target "
                    "ignored", hint="an ignored target contributes nothing, to the value or to the gradient")


@pytest.mark.checks("cross_entropy")
def test_cross_entropy_rejects_unknown_reduction(device):
    logits = make_tensor((3, 4), device=device, dtype=torch.float32)
    targets = torch.randint(0, 4, (3,), device=device)
    for reduction in ["avg", "batchmean"]:
        with raises_value_error("reduction", reduction, case=f"reduction={reduction!r}"):
            indexing.cross_entropy(logits, targets, reduction=reduction)


# ------------------------------------------------------------------------------------- one_hot

LABEL_SHAPES = [(6,), (2, 3), (), (2, 3, 4)]


@pytest.mark.checks("one_hot")
def test_one_hot_values(device):
    for shape in LABEL_SHAPES:
        labels = torch.randint(0, 5, shape, device=device)
        assert_tensor(indexing.one_hot(labels), F.one_hot(labels), what=f"the result for labels of shape {shape}",
                      hint="num_classes=-1 means labels.max() + 1 classes (labels count from 0); the result "
                      "has labels' shape plus one last dim, int64, on labels' device")
        assert_tensor(indexing.one_hot(labels, num_classes=7), F.one_hot(labels, 7),
                      what=f"the result for labels of shape {shape} and num_classes=7",
                      hint="with num_classes given, the new last dim has num_classes entries, whatever the "
                      "largest label is")


def one_hot_of_valid(labels: torch.Tensor, num_classes: int, case: str, hint: str) -> torch.Tensor:
    """one_hot(labels, num_classes) for input that is valid: an error here is a failure that says so."""
    __tracebackhide__ = True
    try:
        return indexing.one_hot(labels, num_classes=num_classes)
    except NotImplementedError:  # an unfinished stub reports itself
        raise
    except (ValueError, RuntimeError, IndexError, TypeError) as error:
        failure = f"{type(error).__name__}({str(error)[:160]!r})"
    fail(f"raised {failure} for {case}, which is valid input.", hint)


@pytest.mark.checks("one_hot")
def test_one_hot_any_integer_labels(device):
    """Integer labels of any width give the same int64 one-hot (F.one_hot itself takes int64 only)."""
    hint = "the result is always int64; scatter_ wants an int64 index: labels.long()"
    for dtype in [torch.int32, torch.int16, torch.uint8]:
        labels = torch.randint(0, 6, (2, 5), device=device, dtype=dtype)
        case = f"{dtype} labels (any integer dtype is a valid class index)"
        assert_tensor(one_hot_of_valid(labels, 6, case, hint), F.one_hot(labels.long(), 6),
                      what=f"the result for {dtype} labels", hint=hint)


@pytest.mark.checks("one_hot")
def test_one_hot_empty_labels(device):
    """Empty labels are fine when num_classes is given: an empty result with the class dim."""
    hint = "labels.min() and labels.max() fail on an empty tensor: only check them when there are labels to check"
    for shape in [(0,), (2, 0)]:
        labels = torch.zeros(shape, dtype=torch.int64, device=device)
        case = f"empty labels of shape {shape} and num_classes=3"
        assert_tensor(one_hot_of_valid(labels, 3, case, hint), F.one_hot(labels, 3), what=f"the result for {case}",
                      hint=hint)


# What a message may name: the argument that is wrong, any other argument in the failing condition, or
# the quantity the contract names (each keyword matches case-insensitively, singular or plural alike).
LABELS_DTYPE = ("labels", "dtype", "integer")  # labels of a non-integer dtype
RANGE = ("labels", "num_classes", "class")  # a label outside [0, num_classes): both arguments are involved
ONE_HOT_ERRORS = [  # (case, labels, their dtype, num_classes, key words the message must hold)
    ("float labels", [0.0, 1.0], torch.float32, -1, (LABELS_DTYPE, "float")),
    ("complex labels", [0j, 1j], torch.complex64, -1, (LABELS_DTYPE, "complex")),
    ("bool labels", [True, False], torch.bool, -1, (LABELS_DTYPE, "bool")),
    ("negative labels", [0, -3, 1], torch.int64, -1, (RANGE, "-3")),
    ("negative labels with num_classes", [2, -3, 1], torch.int64, 5, (RANGE, "-3")),
    ("labels >= num_classes", [0, 7, 1], torch.int64, 5, (RANGE, "7")),
    ("a label equal to num_classes", [0, 5, 1], torch.int64, 5, (RANGE, "5")),
    ("empty labels and num_classes=-1", [], torch.int64, -1, (("num_classes", "labels", "class"),)),
]


@pytest.mark.parametrize("case, values, label_dtype, num_classes, keywords",
                         cases("one_hot", ONE_HOT_ERRORS, ids=lambda error: error[0].replace(" ", "_")))
def test_one_hot_rejects_bad_labels(case, values, label_dtype, num_classes, keywords, device):
    labels = torch.tensor(values, dtype=label_dtype, device=device)
    with raises_value_error(*keywords, case=f"{case} {values} (num_classes={num_classes})"):
        indexing.one_hot(labels, num_classes=num_classes)


# -------------------------------------------------------------------------- split / merge heads

def heads_by_chunks(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """(B, T, H*D) -> (B, H, T, D): head h is the h-th chunk of D consecutive features."""
    return torch.stack(x.chunk(num_heads, dim=-1), dim=1)


@pytest.mark.checks("split_heads")
def test_split_heads_values(device, dtype):
    x = make_tensor((2, 5, 12), device=device, dtype=dtype, low=-2, high=2)
    for num_heads in [1, 3, 4, 12]:
        assert_tensor(indexing.split_heads(x, num_heads), heads_by_chunks(x, num_heads),
                      what=f"the result for x of shape (2, 5, 12) and num_heads={num_heads}",
                      hint="out[b, h, t, d] = x[b, t, h*D + d]: a view straight to (B, H, T, D) has the right shape "
                      "but mixes time steps into heads")


@pytest.mark.checks("split_heads")
def test_split_heads_is_a_view(device):
    """No copy: the result lives in x's memory, so writing through it changes x."""
    x = make_tensor((2, 5, 12), device=device, dtype=torch.float32, low=-2, high=2)
    result = indexing.split_heads(x, 3)
    if result.untyped_storage().data_ptr() != x.untyped_storage().data_ptr():
        fail("the result does not share x's storage, so it is a copy. view and transpose never copy; reshape "
             "may, contiguous() and clone() do.")
    with torch.no_grad():
        result[1, 2, 3, 1] = 1234.0
    if x[1, 3, 2 * 4 + 1] != 1234.0:
        fail("writing result[1, 2, 3, 1] did not change x[1, 3, 9], the same element: the result must be a view "
             "of x, sharing its memory.")


@pytest.mark.checks("split_heads")
def test_split_heads_gradients(device, dtype):
    x = make_tensor((2, 5, 12), device=device, dtype=dtype, low=-2, high=2, requires_grad=True)
    result = indexing.split_heads(x, 4)
    expected = heads_by_chunks(x, 4)
    assert_tensor(result, expected.detach(), what="the result for num_heads=4")
    upstream = torch.randn_like(expected)
    assert_grad(gradients(result, [x], upstream)[0], gradients(expected, [x], upstream)[0], name="x")


@pytest.mark.parametrize("features, num_heads", cases("split_heads", [(10, 4), (10, 3)], ids=joined))
def test_split_heads_rejects_indivisible(features, num_heads, device):
    x = make_tensor((2, 5, features), device=device, dtype=torch.float32)
    with raises_value_error(("num_heads", "heads"), str(features),
                            case=f"a last dim of {features} and num_heads={num_heads}"):
        indexing.split_heads(x, num_heads)


def assert_contiguous(result: torch.Tensor, case: str) -> None:
    if not result.is_contiguous():
        fail(f"the result for {case} is not contiguous (strides {result.stride()}). reshape returns a "
             "view whenever the strides allow one, and that view can be strided, while the contract asks for "
             "row-major memory: read about Tensor.contiguous.")


@pytest.mark.checks("merge_heads")
def test_merge_heads_values(device, dtype):
    x = make_tensor((2, 3, 5, 4), device=device, dtype=dtype, low=-2, high=2)
    result = indexing.merge_heads(x)
    assert_tensor(result, torch.cat(x.unbind(dim=1), dim=-1), what="the result for x of shape (2, 3, 5, 4)",
                  hint="out[b, t, h*D + d] = x[b, h, t, d]: reshaping (B, H, T, D) straight to (B, T, H*D) mixes "
                  "heads into time steps")
    assert_contiguous(result, "x of shape (2, 3, 5, 4)")


@pytest.mark.checks("merge_heads")
def test_merge_heads_inverts_split(device, dtype):
    """Heads as split_heads makes them (views of x) merge back to x, always contiguous."""
    x = make_tensor((4, 5, 12), device=device, dtype=dtype, low=-2, high=2)
    for original, label in [(x, "x"), (x[::2], "x[::2] (every other sequence)")]:
        for num_heads in [1, 3, 4]:
            heads = original.unflatten(-1, (num_heads, 12 // num_heads)).transpose(1, 2)
            case = f"the heads of {label} with num_heads={num_heads}"
            result = indexing.merge_heads(heads)
            assert_tensor(result, original, what=f"the result for {case}",
                          hint="merge_heads undoes split_heads: the dims go back to the order they had "
                          "before the split, and only then merge")
            assert_contiguous(result, case)


@pytest.mark.checks("merge_heads")
def test_merge_heads_gradients(device, dtype):
    x = make_tensor((2, 3, 5, 4), device=device, dtype=dtype, low=-2, high=2, requires_grad=True)
    result = indexing.merge_heads(x)
    expected = torch.cat(x.unbind(dim=1), dim=-1)
    assert_tensor(result, expected.detach(), what="the result for x of shape (2, 3, 5, 4)")
    upstream = torch.randn_like(expected)
    assert_grad(gradients(result, [x], upstream)[0], gradients(expected, [x], upstream)[0], name="x")


# ------------------------------------------------------------------------------------ patchify

PATCH_CASES = [  # (images shape, patch size): square and not, one and several channels, p = 1 and p = H
    ((2, 3, 8, 8), 4),
    ((1, 1, 6, 9), 3),
    ((2, 2, 4, 6), 2),
    ((1, 2, 6, 4), 2),
    ((1, 3, 5, 5), 5),
    ((2, 3, 4, 4), 1),
]
PATCH_HINT = ("F.unfold's order: the patches row by row over the grid, and inside a patch the features channel "
              "first, then row, then column; check the order of your dims before the last reshape")


def unfolded(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return F.unfold(images, patch_size, stride=patch_size).transpose(1, 2)


@pytest.mark.checks("patchify")
def test_patchify_values(device, dtype):
    for shape, p in PATCH_CASES:
        images = make_tensor(shape, device=device, dtype=dtype, low=-2, high=2)
        assert_tensor(indexing.patchify(images, p), unfolded(images, p),
                      what=f"the result for images {shape} and patch_size={p}", hint=PATCH_HINT)


@pytest.mark.checks("patchify")
def test_patchify_gradients(device, dtype):
    """Gradients flow back, also from non-contiguous (strided) images."""
    for shape, p in PATCH_CASES[:3]:
        images = make_tensor(shape, device=device, dtype=dtype, low=-2, high=2, noncontiguous=True, requires_grad=True)
        result = indexing.patchify(images, p)
        expected = unfolded(images, p)
        assert_tensor(result, expected.detach(), what=f"the result for non-contiguous images {shape}, patch_size={p}",
                      hint=PATCH_HINT)
        upstream = torch.randn_like(expected)
        assert_grad(gradients(result, [images], upstream)[0], gradients(expected, [images], upstream)[0],
                    name="images")


@pytest.mark.parametrize("shape, patch_size, size", cases(
    "patchify", [((1, 2, 10, 8), 4, 10), ((1, 2, 8, 10), 4, 10), ((2, 1, 5, 5), 2, 5)], ids=joined,
))
def test_patchify_rejects_indivisible(shape, patch_size, size, device):
    images = make_tensor(shape, device=device, dtype=torch.float32)
    with raises_value_error(("patch_size", "patch size", "images", "height", "width"), str(size),
                            case=f"images {shape} and patch_size={patch_size}"):
        indexing.patchify(images, patch_size)


# ----------------------------------------------------------------------------- reshape_is_view

def copies_or_not(make, shape) -> bool:
    """PyTorch's own answer: does x.reshape(shape) share x's memory? Asked of x built on the CPU (the
    same strides as on any device), where the result of a view keeps x's base."""
    x = make(lambda *sizes: torch.zeros(sizes))
    base = x if x._base is None else x._base
    return x.reshape(shape)._base is base


def laid_out(x: torch.Tensor) -> str:
    return f"x of shape {tuple(x.shape)} and strides {x.stride()}"


def asked(x: torch.Tensor, shape) -> bool:
    """The student's answer, which must be a Python bool."""
    answer = indexing.reshape_is_view(x, shape)
    if type(answer) is not bool:
        fail(f"returned {type(answer).__name__} {answer!r} for {laid_out(x)} and shape {shape}, expected a Python "
             "bool (True or False)")
    return answer


RESHAPE_CASES = {  # what x is: (how to make it from a zeros(*sizes) factory, shapes to ask about, the hint)
    "contiguous": (lambda zeros: zeros(2, 3, 4), [(24,), (4, 6), (2, -1), (4, 3, 2), (1, 24, 1)],
                   "a contiguous tensor's elements lie one after another, so any shape describes the same memory"),
    "transposed": (lambda zeros: zeros(4, 6).t(), [(6, 4), (6, 2, 2), (3, 2, 4), (24,), (2, 12), (-1,)],
                   "splitting a dim needs no copy, whatever the strides; merging two dims does when stepping "
                   "along them jumps through memory"),
    "permuted": (lambda zeros: zeros(2, 3, 4).permute(0, 2, 1), [(2, 12), (8, 3), (2, 2, 2, 3), (2, 4, 3, 1)],
                 "after a permute, which neighbouring dims still step through memory as one?"),
    "every other column": (lambda zeros: zeros(3, 8)[:, ::2], [(12,), (3, 2, 2), (6, 2), (-1, 4, 1)],
                           "gaps in memory do not stop a merge when they are even: compare each dim's stride with "
                           "the next dim's size times its stride"),
    "the first four columns": (lambda zeros: zeros(3, 8)[:, :4], [(12,), (3, 2, 2), (6, 2), (3, 4)],
                               "the rows of a column slice no longer follow one another in memory"),
    "size-1 dims with odd strides": (lambda zeros: zeros(12).as_strided((2, 1, 3), (3, 7, 1)),
                                     [(6,), (3, 2), (1, 6, 1)],
                                     "a dim of size 1 is never stepped along, so its stride cannot get in the way"),
    "expanded": (lambda zeros: zeros(3, 1).expand(3, 4), [(12,), (3, 2, 2), (3, 4), (3, 1, 4)],
                 "an expanded dim has stride 0: it can split, but merging it with the dim before it would need "
                 "memory that is not there"),
    "empty": (lambda zeros: zeros(3, 0).t(), [(0,), (-1,), (0, 5), (3, 0)],
              "a tensor without elements has no memory to lay out: PyTorch always returns a view"),
    "0-dim": (lambda zeros: zeros(), [(1,), (1, 1), (-1,)], "a 0-dim tensor's one element fits any shape of 1 element"),
}


@pytest.mark.parametrize("case", cases("reshape_is_view", RESHAPE_CASES))
def test_reshape_is_view_cases(case, device):
    make, shapes, hint = RESHAPE_CASES[case]
    x = make(lambda *sizes: torch.zeros(sizes, device=device))
    for shape in shapes:
        expected = copies_or_not(make, shape)
        if asked(x, shape) != expected:
            fail(f"returned {not expected} for {laid_out(x)} ({case}) and shape {shape}, but x.reshape({shape}) "
                 f"{'is a view' if expected else 'has to copy'}", hint)


def random_layout(rng: random.Random):
    """A factory of x of a random shape (dims of size 1 and 0 included) and random strides: strided by
    slicing, permuted, maybe expanded, maybe with odd strides on its dims of size 1."""
    sizes = [rng.choice([1, 1, 2, 3, 4]) for _ in range(rng.randint(1, 5))]
    if rng.random() < 0.1:
        sizes[rng.randrange(len(sizes))] = 0
    steps = [rng.choice([1, 1, 2, 3]) for _ in sizes]
    order = rng.sample(range(len(sizes)), len(sizes))
    broadcast = [rng.random() < 0.4 for _ in sizes] if rng.random() < 0.3 else None
    odd = [rng.choice([0, 5, 7, 100]) for _ in sizes] if rng.random() < 0.3 else None

    def make(zeros):
        x = zeros(*(size * step for size, step in zip(sizes, steps)))[tuple(slice(None, None, s) for s in steps)]
        x = x.permute(order)
        if broadcast:  # stride 0 along the chosen dims
            x = x[tuple(slice(0, 1) if chosen else slice(None) for chosen in broadcast)].expand(x.shape)
        if odd:  # dims of size 1 given strides no layout of torch's would choose
            x = x.as_strided(x.shape, [o if n == 1 else s for n, s, o in zip(x.shape, x.stride(), odd)],
                             x.storage_offset())
        return x

    return make


def random_shape(numel: int, rng: random.Random) -> list[int]:
    """A shape that holds numel elements: its prime factors in a random order and grouping, 1s put in,
    maybe a -1."""
    if numel == 0:
        shape = [0, *rng.sample([1, 2, 3], rng.randint(0, 2))]
        rng.shuffle(shape)
        return shape
    factors, rest = [], numel
    for prime in (2, 3, 5, 7):
        while rest % prime == 0:
            factors.append(prime)
            rest //= prime
    factors += [rest] if rest > 1 else []
    rng.shuffle(factors)
    shape = []
    for factor in factors:
        if shape and rng.random() < 0.4:
            shape[-1] *= factor
        else:
            shape.append(factor)
    for _ in range(rng.choice([0, 0, 1, 2])):
        shape.insert(rng.randint(0, len(shape)), 1)
    if shape and rng.random() < 0.3:
        shape[rng.randrange(len(shape))] = -1
    return shape or [1]


@pytest.mark.checks("reshape_is_view")
def test_reshape_is_view_agrees_with_pytorch_on_random_layouts(device):
    rng = random.Random(torch.initial_seed())
    for _ in range(120):
        make = random_layout(rng)
        x = make(lambda *sizes: torch.zeros(sizes, device=device))
        for shape in (random_shape(x.numel(), rng), random_shape(x.numel(), rng)):
            expected = copies_or_not(make, shape)
            if asked(x, shape) != expected:
                fail(f"returned {not expected} for {laid_out(x)} and shape {shape}, but x.reshape({shape}) "
                     f"{'is a view' if expected else 'has to copy'}",
                     "walk x's dims from the last: where a dim's stride is not the next dim's size times its "
                     "stride, memory jumps, and the new shape must start a dim exactly there")


RESHAPES_THAT_DO_NOT_FIT = {  # the case: (how to make x, the shape)
    "24 elements into 25": (lambda zeros: zeros(2, 3, 4), (5, 5)),
    "24 elements, which 7 does not divide": (lambda zeros: zeros(2, 3, 4), (7, -1)),
    "two -1s": (lambda zeros: zeros(2, 3, 4), (-1, -1)),
    "no elements, and a -1 that any size would fit": (lambda zeros: zeros(0, 3), (0, -1)),
}


@pytest.mark.parametrize("case", cases("reshape_is_view", RESHAPES_THAT_DO_NOT_FIT))
def test_reshape_is_view_rejects_shapes_that_do_not_fit(case, device):
    make, shape = RESHAPES_THAT_DO_NOT_FIT[case]
    x = make(lambda *sizes: torch.zeros(sizes, device=device))
    with raises_value_error("shape", case=f"{laid_out(x)} and shape {shape} ({case})"):
        indexing.reshape_is_view(x, shape)


# The judge's cases (judge_indexing.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
