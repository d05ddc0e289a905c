"""Tests for kata 08, pitfalls. Run: pytest katas/08_pitfalls (add -k masked_mean for one function).

Every function here guards against a bug that raises no error: a subtraction that broadcasts to an
(N, N) table, an exp that overflows, a nan that leaks through a mask or through its gradient, a
file that holds the whole batch. Each test sets the trap and checks that the code steps around it;
the harness adds the kata's rules to every call (log_softmax and logsumexp forbidden in
stable_log_softmax, inputs left unchanged).
"""

import os

import pytest
import torch
from torch.testing import make_tensor

from katas.harness import (
    assert_grad, assert_tensor, cases, fail, gradients, implementation, judged_tests, raises_value_error, shape_words,
)
from katas.harness.judge import first_nonfinite_as_backward_runs

pitfalls = implementation(__file__)


# regression_loss ------------------------------------------------------------------------------

N, D = 6, 3
# (w, y) shapes. The lecture's pair comes first: the code it ships with turns it into (N, N).
REGRESSION_SHAPES = [((D, 1), (N,)), ((D,), (N, 1)), ((D, 1), (N, 1)), ((D,), (N,))]
BROADCAST_HINT = (
    "x @ w is (N, 1) for w of shape (D, 1), and (N, 1) - (N,) broadcasts to (N, N): every "
    "prediction minus every target. Print the shapes of what you subtract, for each combination above"
)


def l2_of_residuals(x: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The loss written out in float64: predictions and targets as flat vectors, root of the sum of squares."""
    residuals = x.double() @ w.double().flatten() - y.double().flatten()
    return residuals.square().sum().sqrt()


def regression_inputs(w_shape, y_shape, device, dtype, **options) -> list[torch.Tensor]:
    return [make_tensor(shape, device=device, dtype=dtype, low=-2, high=2, **options)
            for shape in ((N, D), w_shape, y_shape)]


@pytest.mark.checks("regression_loss")
def test_regression_loss_values(device, dtype):
    for w_shape, y_shape in REGRESSION_SHAPES:
        x, w, y = regression_inputs(w_shape, y_shape, device, dtype)
        result = pitfalls.regression_loss(x, w, y)
        assert_tensor(result, l2_of_residuals(x, w, y).to(dtype),
                      what=f"the loss for x {(N, D)}, w {w_shape}, y {y_shape}", hint=BROADCAST_HINT)


@pytest.mark.checks("regression_loss")
def test_regression_loss_gradients(device, dtype):
    for w_shape, y_shape in REGRESSION_SHAPES:
        inputs = regression_inputs(w_shape, y_shape, device, dtype, requires_grad=True)
        result = pitfalls.regression_loss(*inputs)
        assert_tensor(result, l2_of_residuals(*inputs).to(dtype),
                      what=f"the loss for x {(N, D)}, w {w_shape}, y {y_shape}", hint=BROADCAST_HINT)
        upstream = torch.randn((), device=device, dtype=dtype)
        expected = gradients(l2_of_residuals(*inputs), inputs, upstream)
        for name, grad, want in zip("xwy", gradients(result, inputs, upstream), expected):
            assert_grad(grad, want, name=f"{name}, for w {w_shape} and y {y_shape}", hint=BROADCAST_HINT)


@pytest.mark.checks("regression_loss")
def test_regression_loss_rejects_wrong_number_of_targets(device):
    # (1,) and (N + 1,) broadcast without a word against (N, 1): only an explicit check stops them.
    for y_shape in [(N + 1,), (1,), (N, 2), (N - 1, 1)]:
        x, w, y = regression_inputs((D, 1), y_shape, device, torch.float32)
        with raises_value_error("y", str(N), case=f"y of shape {y_shape} for x of shape {(N, D)} "
                                                   f"(name y and the {N} targets it needs)"):
            pitfalls.regression_loss(x, w, y)


# stable_log_softmax ---------------------------------------------------------------------------

# (shape, dim); None calls without dim, so the default -1 applies. Sizes differ so dims can't mix.
LOG_SOFTMAX_CASES = [((7,), None), ((3, 7), None), ((3, 7), 0), ((2, 3, 4), 1), ((2, 3, 4), -2), ((2, 3, 4), 0)]
LOG_SOFTMAX_HINT = "log_softmax(x) = x - log(sum(exp(x))), the sum along dim: compare the dims you reduce over with dim"


def log_softmax_in_float64(x: torch.Tensor, dim: int) -> torch.Tensor:
    """torch.log_softmax(x, dim) in float64, written as x - logsumexp(x): the same values, without the
    thread pool that torch.log_softmax's CPU kernel wakes even for tiny tensors (slow on a busy machine)."""
    x = x.double()
    return x - torch.logsumexp(x, dim, keepdim=True)


def log_softmax_of(x: torch.Tensor, dim: int | None) -> torch.Tensor:
    return pitfalls.stable_log_softmax(x) if dim is None else pitfalls.stable_log_softmax(x, dim=dim)


@pytest.mark.checks("stable_log_softmax")
def test_stable_log_softmax_values(device, dtype):
    for shape, dim in LOG_SOFTMAX_CASES:
        x = make_tensor(shape, device=device, dtype=dtype, low=-5, high=5)
        result = log_softmax_of(x, dim)
        expected = log_softmax_in_float64(x, -1 if dim is None else dim).to(dtype)
        assert_tensor(result, expected, what=f"the result for shape {shape}, dim={dim}", hint=LOG_SOFTMAX_HINT)


@pytest.mark.checks("stable_log_softmax")
def test_stable_log_softmax_gradients(device, dtype):
    """Gradients match torch.log_softmax's, also from non-contiguous (strided) inputs."""
    for shape, dim in LOG_SOFTMAX_CASES:
        x = make_tensor(shape, device=device, dtype=dtype, low=-5, high=5, noncontiguous=True, requires_grad=True)
        result = log_softmax_of(x, dim)
        expected = log_softmax_in_float64(x, -1 if dim is None else dim)
        assert_tensor(result, expected.to(dtype), what=f"the result for shape {shape}, dim={dim}", hint=LOG_SOFTMAX_HINT)
        upstream = torch.randn_like(x)
        (want,) = gradients(expected, [x], upstream)
        (grad,) = gradients(result, [x], upstream)
        assert_grad(grad, want, name=f"x, for shape {shape} and dim={dim}", hint=LOG_SOFTMAX_HINT)


def huge_logits(device: str, dtype: torch.dtype) -> torch.Tensor:
    """Logits of magnitude up to 1e4, with a row of ties at 1e4 and a row near -1e4."""
    x = make_tensor((4, 9), device=device, dtype=dtype, low=-1e4, high=1e4)
    x[0] = 1e4
    x[1] = -1e4 + torch.arange(9, device=device, dtype=dtype)
    return x.requires_grad_()


def rounding_at(x: torch.Tensor) -> float:
    """The absolute error a correct log-softmax may have at x's magnitude: x - m - log(sum(exp(x - m)))
    subtracts numbers as large as max|x|, each rounded to within eps * max|x| (about 1e-3 for float32 at
    1e4), in whichever order it is written. Never below the dtype's usual atol."""
    usual = 1e-5 if x.dtype == torch.float32 else 1e-7
    return max(usual, 4 * torch.finfo(x.dtype).eps * x.detach().abs().max().item())


@pytest.mark.checks("stable_log_softmax")
@pytest.mark.parametrize("dim", [-1, 0])
def test_stable_log_softmax_huge_logits(device, dtype, dim):
    x = huge_logits(device, dtype)
    result = pitfalls.stable_log_softmax(x, dim=dim)
    if type(result) is torch.Tensor and result.shape == x.shape and not result.isfinite().all():
        fail(f"{int((~result.isfinite()).sum())} of {result.numel()} results are not finite for logits "
             f"of magnitude 1e4 (dim={dim}). exp(1e4) is inf, inf / inf and inf - inf are nan, and "
             "log(0) is -inf: look at how large what you pass to exp can get, and at whether you take the log "
             "of a probability that has underflowed to 0.")
    expected = log_softmax_in_float64(x, dim)
    assert_tensor(result, expected.to(dtype), what=f"the result for logits of magnitude 1e4, dim={dim}",
                  atol=rounding_at(x), hint=(
                      "the allowed difference already covers rounding at magnitude 1e4 in this dtype (a few eps "
                      "times max|x|, in whatever order you subtract), so this is no rounding error: the result is "
                      "not x - log(sum(exp(x))) along dim (a shift subtracted inside exp but not accounted for "
                      "outside the log, or a max or sum over the wrong dims)"))
    upstream = torch.randn_like(result)
    (want,) = gradients(expected, [x], upstream)
    (grad,) = gradients(result, [x], upstream)
    assert_grad(grad, want, name="x", hint="the gradient must be finite too: no inf or nan anywhere in the graph")


# masked_mean ----------------------------------------------------------------------------------

MASKED_CASES = [((4, 6), 1), ((4, 6), 0), ((2, 3, 5), 1), ((2, 3, 5), -1)]  # (shape, dim)
MASK_HINT = "sum the entries where mask is True along dim, divide by how many there are; 0 where there are none"


def padding_mask(shape: tuple[int, ...], dim: int, device: str) -> torch.Tensor:
    """A random mask along dim, with one row (all entries along dim) empty and one row full."""
    length, rows = shape[dim], [size for axis, size in enumerate(shape) if axis != dim % len(shape)]
    mask = torch.rand(*rows, length, device=device).reshape(-1, length) < 0.6
    mask[0] = False
    mask[-1] = True
    return mask.reshape(*rows, length).movedim(-1, dim)


def mean_of_kept(x: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """The expected value another way: dropped entries become nan, nanmean skips them, empty rows -> 0."""
    return x.double().masked_fill(~mask, float("nan")).nanmean(dim).nan_to_num(0.0).to(x.dtype)


def mean_gradient(mask: torch.Tensor, dim: int, upstream: torch.Tensor) -> torch.Tensor:
    """d mean / d x: upstream / count on kept entries, 0 on dropped ones (and in empty rows)."""
    count = mask.sum(dim, keepdim=True).clamp_min(1)
    return upstream.unsqueeze(dim) * mask / count


def garbage_padding(clean: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """clean where mask is True; inf, -inf and nan in turn everywhere else."""
    junk = torch.tensor([float("inf"), float("-inf"), float("nan")], device=clean.device, dtype=clean.dtype)
    junk = junk.repeat(clean.numel() // 3 + 1)[: clean.numel()].reshape(clean.shape)
    return torch.where(mask, clean, junk)


@pytest.mark.checks("masked_mean")
def test_masked_mean_values(device, dtype):
    """Finite values under the mask too: they must be ignored, not just happen to be 0."""
    for shape, dim in MASKED_CASES:
        x = make_tensor(shape, device=device, dtype=dtype, low=-3, high=3)
        mask = padding_mask(shape, dim, device)
        result = pitfalls.masked_mean(x, mask, dim)
        assert_tensor(result, mean_of_kept(x, mask, dim), what=f"the result for shape {shape}, dim={dim}",
                      hint=MASK_HINT)


def check_gradient(x: torch.Tensor, mask: torch.Tensor, dim: int, result: torch.Tensor, trap: str) -> None:
    __tracebackhide__ = True
    upstream = torch.randn_like(result)
    (grad,) = gradients(result, [x], upstream)
    if grad is not None and not grad.isfinite().all():
        fail(f"{int((~grad.isfinite()).sum())} of {grad.numel()} gradient entries are nan or inf (shape "
             f"{tuple(x.shape)}, dim={dim}). {trap}")
    assert_grad(grad, mean_gradient(mask, dim, upstream), name="x", hint=MASK_HINT)


@pytest.mark.checks("masked_mean")
def test_masked_mean_empty_rows(device, dtype):
    """A row with no True entry gives 0, and x's gradient is finite there: the torch.where NaN-gradient trap,
    which reaches x when the total multiplies x by the mask (a selected total keeps x's gradient finite,
    as the contract asks, and passes)."""
    for shape, dim in MASKED_CASES:
        x = make_tensor(shape, device=device, dtype=dtype, low=-3, high=3, requires_grad=True)
        mask = padding_mask(shape, dim, device)
        result = pitfalls.masked_mean(x, mask, dim)
        assert_tensor(result, mean_of_kept(x, mask, dim), what=f"the result for shape {shape}, dim={dim} "
                      "(the first row along dim has no True entry)", hint=MASK_HINT)
        check_gradient(x, mask, dim, result, trap=(
            "Empty rows divide 0 by 0. torch.where(count > 0, total / count, 0) hides that nan from the "
            "value but not from the gradient: the dropped branch's gradient 0 becomes 0 * inf = nan on its "
            "way back through the division, and a total built by multiplying x with the mask passes it on "
            "into x's gradient (nan * 0 is nan)."))


@pytest.mark.checks("masked_mean")
def test_masked_mean_ignores_inf_and_nan_padding(device, dtype):
    for shape, dim in MASKED_CASES:
        mask = padding_mask(shape, dim, device)
        clean = make_tensor(shape, device=device, dtype=dtype, low=-3, high=3)
        x = garbage_padding(clean, mask).requires_grad_()
        result = pitfalls.masked_mean(x, mask, dim)
        if type(result) is torch.Tensor and result.is_floating_point() and not result.isfinite().all():
            fail(f"{int((~result.isfinite()).sum())} of {result.numel()} results are nan or inf when the "
                 f"masked-out entries hold inf and nan (shape {shape}, dim={dim}). nan * 0 is nan and inf * 0 "
                 "is nan: multiplying by the mask does not remove them, while a selection never reads what it "
                 "drops.")
        assert_tensor(result, mean_of_kept(clean, mask, dim), what=f"the result for shape {shape}, dim={dim} "
                      "with inf and nan under the mask", hint=MASK_HINT)
        check_gradient(x, mask, dim, result, trap=(
            "Masked-out inf and nan must not reach the gradient either: an op whose backward multiplies "
            "them (a product with the mask) lets them through, a selection does not."))


@pytest.mark.checks("masked_mean")
def test_masked_mean_keeps_nonfinite_data(device, dtype):
    """Only masked-out entries are padding: a nan or inf where mask is True is data, and shows."""
    nan, inf = float("nan"), float("inf")
    x = torch.tensor([[1.0, nan, inf, 2.0], [inf, nan, 3.0, -inf], [2.0, 4.0, nan, 6.0]], device=device, dtype=dtype)
    mask = torch.tensor([[True, True, False, True], [True, False, True, False], [True, True, False, True]],
                        device=device)
    result = pitfalls.masked_mean(x, mask, 1)
    expected = torch.tensor([nan, inf, 4.0], device=device, dtype=dtype)
    assert_tensor(result, expected, equal_nan=True, what="the result when kept entries hold nan (row 0) and inf "
                  "(row 1), and masked-out ones hold nan and inf too", hint=(
                      "the mean of data holding a nan is nan, and with an inf it is inf: a nan where mask is True "
                      "is data, which scrubbing x (nan_to_num) or skipping nans (nanmean) hides"))


@pytest.mark.checks("masked_mean")
def test_masked_mean_rejects_bad_mask(device):
    x = make_tensor((4, 6), device=device, dtype=torch.float32, low=-3, high=3)
    # (4, 1) would broadcast silently: only an explicit shape check catches it.
    for mask_shape in [(4, 1), (4, 5)]:
        mask = torch.ones(mask_shape, dtype=torch.bool, device=device)
        with raises_value_error("mask", *shape_words((4, 6), mask_shape),
                                case=f"a mask of shape {mask_shape} for x of shape (4, 6) (name both shapes)"):
            pitfalls.masked_mean(x, mask, 1)
    float_mask = torch.ones(4, 6, device=device)
    with raises_value_error("mask", "bool", case="a float32 mask of 1.0s (say it must be bool)"):
        pitfalls.masked_mean(x, float_mask, 1)


# nonfinite_grads ------------------------------------------------------------------------------


class Net(torch.nn.Module):
    """A small model whose named_parameters() order is not alphabetical: its own `scale` comes first."""

    def __init__(self):
        super().__init__()
        self.encoder = torch.nn.Linear(3, 4)
        self.norm = torch.nn.LayerNorm(4)
        self.head = torch.nn.Linear(4, 2)
        self.scale = torch.nn.Parameter(torch.ones(()))


def net_with_grads(device: str, dtype: torch.dtype, spoiled: dict[str, float], missing: set[str]) -> Net:
    """Random finite gradients, one entry replaced by the given value in `spoiled`, none in `missing`."""
    net = Net().to(device=device, dtype=dtype)
    for name, parameter in net.named_parameters():
        if name not in missing:
            grad = torch.randn_like(parameter)
            if name in spoiled:
                grad.view(-1)[grad.numel() // 2] = spoiled[name]
            parameter.grad = grad
    return net


def check_names(module: torch.nn.Module, expected: list[str], situation: str) -> None:
    __tracebackhide__ = True
    before = {name: p.grad.clone() for name, p in module.named_parameters() if p.grad is not None}
    result = pitfalls.nonfinite_grads(module)
    if type(result) is not list or result != expected:
        fail(f"returned {result!r} for {situation}; expected {expected!r}. List the names of the "
             "parameters whose .grad holds a nan, an inf or a -inf, in named_parameters() order, skipping "
             "those whose .grad is None.")
    for name, parameter in module.named_parameters():
        grad, old = parameter.grad, before.get(name)
        untouched = (grad is None and old is None) or (
            grad is not None and old is not None and bool(((grad == old) | (grad.isnan() & old.isnan())).all()))
        if not untouched:
            fail(f"changed the gradient of {name!r}: it should only look at the gradients (no nan_to_num_, zero_ "
                 "or assignment to .grad).")


@pytest.mark.checks("nonfinite_grads")
def test_nonfinite_grads_finds_nan_and_inf(device, dtype):
    nan, inf = float("nan"), float("inf")
    net = net_with_grads(device, dtype, spoiled={"encoder.bias": inf, "norm.bias": nan, "head.weight": -inf,
                                                 "scale": nan}, missing={"norm.weight"})
    check_names(net, ["scale", "encoder.bias", "norm.bias", "head.weight"],
                "inf in encoder.bias, nan in norm.bias and scale, -inf in head.weight, no grad on norm.weight")


@pytest.mark.checks("nonfinite_grads")
def test_nonfinite_grads_huge_but_finite(device, dtype):
    """Finite values near the dtype's maximum: their sum or norm overflows, the values are still fine."""
    net = net_with_grads(device, dtype, spoiled={}, missing=set())
    for parameter in net.parameters():
        parameter.grad.fill_(torch.finfo(dtype).max / 2)
    check_names(net, [], f"gradients that all hold {torch.finfo(dtype).max / 2:.3g} (finite; a sum of them is not)")


@pytest.mark.checks("nonfinite_grads")
def test_nonfinite_grads_skips_missing_grads(device, dtype):
    check_names(Net().to(device=device, dtype=dtype), [], "a fresh model (every .grad is None)")
    net = net_with_grads(device, dtype, spoiled={}, missing={"encoder.weight", "head.bias"})
    check_names(net, [], "finite gradients, and none on encoder.weight and head.bias")


@pytest.mark.checks("nonfinite_grads")
def test_nonfinite_grads_tied_weights(device, dtype):
    """A parameter shared by two modules (tied weights) is one parameter: named_parameters() lists it once."""
    net = net_with_grads(device, dtype, spoiled={"encoder.weight": float("nan")}, missing=set())
    net.decoder = torch.nn.Linear(3, 4).to(device=device, dtype=dtype)
    net.decoder.weight = net.encoder.weight  # same (4, 3) parameter under a second name
    net.decoder.bias.grad = torch.randn_like(net.decoder.bias)
    check_names(net, ["encoder.weight"], "nan in encoder.weight, which decoder.weight shares (tied weights: "
                "named_parameters() lists a shared parameter once, under its first name)")


# save_sample ----------------------------------------------------------------------------------

# (batch shape, index, transposed). A transposed batch's rows are strided views into all of it.
SAVE_CASES = [((256, 64), 3, False), ((64, 4, 8, 8), -1, False), ((256, 64), 100, True)]


@pytest.mark.checks("save_sample")
def test_save_sample_file_holds_one_sample(device, dtype, tmp_path):
    for number, (shape, index, transposed) in enumerate(SAVE_CASES):
        batch = make_tensor(shape[::-1] if transposed else shape, device=device, dtype=dtype, low=-1, high=1)
        batch = batch.t() if transposed else batch
        path = tmp_path / f"sample{number}.pt"
        pitfalls.save_sample(batch, index, str(path) if number % 2 else path)
        what = f"batch of shape {shape}{' (transposed)' if transposed else ''}, index {index}"
        if not path.is_file():
            fail(f"wrote no file at the path it was given ({what}).")
        sample, size = batch[index], os.path.getsize(path)
        if not sample.nbytes <= size < batch.nbytes // 4:
            fail(f"wrote {size} bytes for a sample of {sample.nbytes} bytes, from a batch of {batch.nbytes} "
                 f"bytes ({what}). batch[index] is a view into the batch's storage, and torch.save writes whole "
                 "storages, so the file holds whatever the saved tensor's storage holds. Note that .contiguous() "
                 "of an already contiguous row copies nothing.")
        # Loaded onto the CPU: map_location decides where it lands, whatever the file (and emulated CUDA
        # cannot be loaded onto).
        loaded = torch.load(path, map_location="cpu", weights_only=True)
        assert_tensor(loaded, sample.cpu(), what=f"the tensor loaded back ({what})", rtol=0, atol=0,
                      hint="save batch[index] itself: same shape, dtype and values")


# nonfinite_grads, on the lecture's scenario ---------------------------------------------------


def one_bad_pixel(value: torch.Tensor) -> torch.Tensor:
    """Two random 5 x 5 one-channel images, the centre pixel of the first replaced by `value`."""
    images = torch.rand(2, 1, 5, 5, device=value.device, dtype=value.dtype)
    images[0, 0, 2, 2] = value
    return images


@pytest.mark.checks("nonfinite_grads")
def test_nonfinite_grads_conv_fed_log_of_minus_one(device, dtype):
    """The lecture's nan: log(-1) in one pixel. The loss is nan, yet only the weight's gradient is:
    the bias's gradient never sees the input."""
    conv = torch.nn.Conv2d(1, 2, 3).to(device=device, dtype=dtype)
    conv(one_bad_pixel(torch.tensor(-1.0, device=device, dtype=dtype).log())).sum().backward()
    check_names(conv, ["weight"], "a Conv2d fed an image with log(-1) = nan in one pixel, loss conv(images).sum()")


@pytest.mark.checks("nonfinite_grads")
def test_nonfinite_grads_conv_fed_infinities(device, dtype):
    """The lecture's infinities, 1 / 0, log(0) and exp(1000) (inf in float64 too), each fed to its
    own Conv2d beside a clean one: +inf and -inf gradients both count."""
    zero, thousand = (torch.tensor(v, device=device, dtype=dtype) for v in (0.0, 1000.0))
    pixels = {"clean": zero + 0.5, "reciprocal": 1 / zero, "log": zero.log(), "exp": thousand.exp()}
    convs = torch.nn.ModuleDict({name: torch.nn.Conv2d(1, 2, 3) for name in pixels}).to(device=device, dtype=dtype)
    sum(convs[name](one_bad_pixel(pixel)).sum() for name, pixel in pixels.items()).backward()
    check_names(convs, ["reciprocal.weight", "log.weight", "exp.weight"],
                "four Conv2d, fed images with 0.5 (clean), 1 / 0 = inf, log(0) = -inf and exp(1000) = inf "
                "in one pixel")


# first_nonfinite_backward ---------------------------------------------------------------------


def conv_fed_a_nan(device, dtype):
    """The lecture's scenario: a Conv2d fed an image with log(-1) in one pixel; loss conv(images).sum()."""
    conv = torch.nn.Conv2d(1, 2, 3).to(device=device, dtype=dtype)
    images = one_bad_pixel(torch.tensor(-1.0, device=device, dtype=dtype).log())
    return conv(images).sum(), [conv.weight, conv.bias]


def finite_everywhere(device, dtype):
    """A small MLP, finite in the forward pass and the backward pass."""
    mlp = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).to(device=device,
                                                                                              dtype=dtype)
    return mlp(torch.randn(5, 4, device=device, dtype=dtype)).pow(2).mean(), list(mlp.parameters())


def sqrt_at_zero_in_a_chain(device, dtype):
    """x * 2, sqrt, * 3, sum, with a 0 in x: sqrt's backward makes an inf, and the product before it
    passes the inf on."""
    x = torch.tensor([0.0, 1.0, 4.0], device=device, dtype=dtype, requires_grad=True)
    return (torch.sqrt(x * 2) * 3).sum(), [x]


def two_branches(later: str):
    """sqrt(a) and log(b) at a 0, summed: both backwards make an inf. Backward runs the branch built
    later first, whatever the order of the graph's edges."""

    def make(device, dtype):
        a = torch.tensor([0.0, 1.0], device=device, dtype=dtype, requires_grad=True)
        b = torch.tensor([0.0, 2.0], device=device, dtype=dtype, requires_grad=True)
        if later == "log":
            roots, logs = torch.sqrt(a), torch.log(b) * 2 * 3
        else:
            logs = torch.log(b) * 2 * 3
            roots = torch.sqrt(a)
        return roots.sum() + logs.sum(), [a, b]

    return make


def nan_only_in_the_forward(device, dtype):
    """log of a negative number, masked out by torch.where: the loss is finite, and so is every gradient
    (log's backward divides a zero gradient by -1)."""
    x = torch.tensor([-1.0, 2.0, 3.0], device=device, dtype=dtype, requires_grad=True)
    return torch.where(x > 0, torch.log(x), 0).sum(), [x]


NONFINITE_CASES = {  # name: (builds (loss, leaves), hint)
    "the lecture's Conv2d fed a nan": (conv_fed_a_nan, "the nan is born where the input's nan meets the weight's "
                                       "gradient: in the convolution's backward, before any leaf receives it"),
    "finite everywhere": (finite_everywhere, "when no computed gradient holds a nan or an inf, the answer is None"),
    "sqrt at 0 in a chain": (sqrt_at_zero_in_a_chain, "the first node whose own computed gradients are not finite: "
                             "later nodes only pass the inf on, and an inf counts as much as a nan"),
    "two branches, log built later": (two_branches("log"), "backward runs the nodes in its own order (the branch "
                                      "built later first), not in the order a walk over the graph meets them: record "
                                      "what happens while backward runs"),
    "two branches, sqrt built later": (two_branches("sqrt"), "backward runs the nodes in its own order (the branch "
                                       "built later first), not in the order a walk over the graph meets them: record "
                                       "what happens while backward runs"),
    "a nan only in the forward pass": (nan_only_in_the_forward, "the gradients decide, not the values: torch.where "
                                       "sends a zero gradient to the log of the negative number"),
}


def backward_as_it_runs(make, device, dtype) -> tuple[str | None, list]:
    """The tests' own answer, on a twin of the case's graph: hooks on every node record, in the order
    backward calls them, the nodes whose computed gradients are not finite; and the leaves' grads."""
    torch.manual_seed(1)
    loss, leaves = make(device, dtype)
    leaves[0].grad = torch.ones_like(leaves[0])
    return first_nonfinite_as_backward_runs(loss), [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("case", cases("first_nonfinite_backward", NONFINITE_CASES))
def test_first_nonfinite_backward_names_the_node(case, device, dtype):
    make, hint = NONFINITE_CASES[case]
    expected, expected_grads = backward_as_it_runs(make, device, dtype)
    torch.manual_seed(1)
    loss, leaves = make(device, dtype)
    leaves[0].grad = torch.ones_like(leaves[0])  # a gradient from before: backward adds to it
    name = pitfalls.first_nonfinite_backward(loss)
    if name != expected:
        fail(f"returned {name!r} for {case}, expected {expected!r}", hint)
    for number, (leaf, want) in enumerate(zip(leaves, expected_grads)):
        assert_tensor(leaf.grad, want, what=f"the .grad of leaf {number} afterwards ({case}; leaf 0 held ones "
                      "before)", equal_nan=True, hint="the leaves' .grad end as after one plain loss.backward(): "
                      "added once onto what they held, and no hook of yours may change a gradient")


@pytest.mark.checks("first_nonfinite_backward")
def test_first_nonfinite_backward_conv_is_convolution_backward(device, dtype):
    """The contract's own example, by name."""
    torch.manual_seed(1)
    loss, _ = conv_fed_a_nan(device, dtype)
    name = pitfalls.first_nonfinite_backward(loss)
    if name != "ConvolutionBackward0":
        fail(f"returned {name!r} for the lecture's Conv2d fed a nan, expected 'ConvolutionBackward0'",
             "the class name of the node, type(node).__name__, as grad_fn shows it")


# The judge's cases (judge_pitfalls.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
