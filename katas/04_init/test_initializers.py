"""Tests for kata 04, nn.init. Run: pytest katas/04_init (add -k orthogonal for one function).

fans is checked against PyTorch's own rule. orthogonal_ is random, so it is checked by what every
correct draw has (orthonormal rows or columns, times gain), by reproducibility with a generator,
and statistically for the Haar distribution, never against one particular random stream.
init_weights is checked on a model with every module type it handles, and one it must leave alone.
The harness adds the kata's rules to every call (nn.init.orthogonal_ is off-limits).
"""

import math

import pytest
import torch
from torch import nn

from katas.harness import assert_tensor, fail, generator, implementation, judged_tests, raises_value_error

initializers = implementation(__file__)


# The layers whose weights fans must read, as (name, layer); only the weight's shape matters.
LAYERS = [
    ("Linear(3, 5)", lambda: nn.Linear(3, 5)),
    ("Conv1d(4, 8, 3)", lambda: nn.Conv1d(4, 8, 3)),
    ("Conv2d(4, 6, (3, 5))", lambda: nn.Conv2d(4, 6, (3, 5))),
    ("Conv2d(6, 8, 3, groups=2)", lambda: nn.Conv2d(6, 8, 3, groups=2)),
    ("Conv3d(2, 7, (2, 3, 4))", lambda: nn.Conv3d(2, 7, (2, 3, 4))),
]

# Shapes for orthogonal_, as the (rows, cols) matrix it sees: rows = size(0), cols = the rest.
SHAPES = {
    "tall": (7, 3),
    "wide": (3, 7),
    "square": (5, 5),
    "conv-wide": (4, 2, 3, 3),  # a Conv2d(2, 4, 3) kernel: 4 x 18, orthonormal rows
    "conv-tall": (12, 2, 2),  # a Conv1d(2, 12, 2) kernel: 12 x 4, orthonormal columns
}


def layer_weight(make, device, dtype) -> torch.Tensor:
    return make().weight.detach().to(device=device, dtype=dtype)


def assert_orthonormal(weight: torch.Tensor, gain: float, what: str) -> None:
    """W W^T = gain^2 I if rows <= cols, else W^T W = gain^2 I, with W = weight as (rows, cols)."""
    __tracebackhide__ = True
    rows = weight.shape[0]
    flat = weight.detach().reshape(rows, -1).double()
    wide = rows <= flat.shape[1]
    gram = flat @ flat.T if wide else flat.T @ flat
    identity = torch.eye(gram.shape[0], dtype=torch.float64, device=weight.device)
    tolerance = (5e-5 if weight.dtype == torch.float32 else 1e-10) * gain ** 2
    error = float((gram - gain ** 2 * identity).abs().max())
    if weight.dtype == torch.float64 and tolerance < error < 5e-5 * gain ** 2:
        fail(f"{what} is a float64 tensor, but it is orthonormal only to float32 precision (W W^T or W^T W is "
             f"off from gain^2 I by {error:.1e}; float64 allows {tolerance:.0e}).",
             "a Gaussian drawn in float32 and copied into a float64 tensor keeps float32's rounding errors: look "
             "at the dtype your random numbers are drawn in.")
    if wide:
        product = f"W W^T of {what} (shape {tuple(weight.shape)}, as {rows} x {flat.shape[1]}: rows orthonormal)"
        hint = ("the rows of a wide matrix must be orthonormal: QR of a tall (cols, rows) Gaussian gives Q with "
                "orthonormal columns; transpose it (a reshape is not a transpose). Multiply by gain once: "
                f"W W^T = gain^2 I = {gain ** 2:g} I")
    else:
        product = f"W^T W of {what} (shape {tuple(weight.shape)}, as {rows} x {flat.shape[1]}: columns orthonormal)"
        hint = ("the columns of a tall matrix must be orthonormal: Q of the QR of a (rows, cols) Gaussian. "
                f"Multiply by gain once: W^T W = gain^2 I = {gain ** 2:g} I")
    assert_tensor(gram, gain ** 2 * identity, what=product, hint=hint, rtol=0.0, atol=tolerance)


def fill(tensor: torch.Tensor, **options) -> torch.Tensor:
    """orthogonal_(tensor, **options), checking first that it filled and returned `tensor` itself."""
    __tracebackhide__ = True
    address = tensor.data_ptr()
    result = initializers.orthogonal_(tensor, **options)
    if result is not tensor:
        fail("returned a different object than the tensor it was given. Functions ending in `_` fill their "
             "argument in place and return that very tensor, so that `w = orthogonal_(torch.empty(3, 5))` works "
             "too.")
    if tensor.data_ptr() != address:
        fail("gave the tensor new storage (`.data = ...` or `.set_(...)`): the values belong in its existing "
             "memory, so that views of it see them (read about Tensor.copy_).")
    return tensor


# fans --------------------------------------------------------------------------------------------


@pytest.mark.checks("fans")
def test_fans_match_pytorch(device, dtype):
    for name, make in LAYERS:
        weight = layer_weight(make, device, dtype)
        expected = nn.init._calculate_fan_in_and_fan_out(weight)
        result = initializers.fans(weight)
        if not isinstance(result, tuple) or len(result) != 2:
            fail(f"for the weight of {name} returned {result!r}; expected a tuple (fan_in, fan_out) = {expected}")
        if any(type(fan) is not int for fan in result):
            fail(f"for the weight of {name} returned {result!r}: fans are Python ints, got types "
                 f"{[type(fan).__name__ for fan in result]} (tensor.shape holds ints, while a product computed "
                 "with torch gives a tensor)")
        if result != expected:
            hint = ("each output sums over its inputs at every kernel position, and each input feeds every output "
                    "at every kernel position: look at which dims of the weight each fan counts")
            if result == expected[::-1]:
                hint = "fan_in and fan_out are swapped: a weight is (out, in, *kernel), so fan_in comes from size(1)"
            fail(f"for the weight of {name}, shape {tuple(weight.shape)}, returned {result}, expected (fan_in, "
                 f"fan_out) = {expected}.", hint)


# A message about too few dims may say so in several ways: "at least 2 dims", "must be 2-D", "ndim 1", a shape.
DIMS = ("dim", "2-D", "2d", "2 d", "shape")


@pytest.mark.checks("fans")
def test_fans_reject_fewer_than_2_dims(device):
    for shape in [(4,), ()]:
        with raises_value_error("tensor", DIMS, case=f"a tensor of shape {shape} (fans need at least 2 dims)"):
            initializers.fans(torch.ones(shape, device=device))


# orthogonal_ -------------------------------------------------------------------------------------


@pytest.mark.checks("orthogonal_")
@pytest.mark.parametrize("kind", SHAPES)
def test_orthogonal_is_orthonormal_times_gain(kind, device, dtype):
    for gain in (None, 3.0):
        tensor = torch.full(SHAPES[kind], 7.0, device=device, dtype=dtype)
        fill(tensor, **({} if gain is None else {"gain": gain}))
        assert_orthonormal(tensor, 1.0 if gain is None else gain,
                           "the filled tensor" + ("" if gain is None else f" with gain={gain}"))


@pytest.mark.checks("orthogonal_")
def test_orthogonal_fills_in_place(device, dtype):
    tensor = torch.zeros(4, 6, device=device, dtype=dtype)
    view = tensor[1:3]  # shares tensor's memory: must see the new values
    fill(tensor)
    assert_orthonormal(tensor, 1.0, "the tensor after orthogonal_(tensor)")
    assert_tensor(view, tensor[1:3], what="a view taken before the call", rtol=0.0, atol=0.0,
                  hint="the values belong in the tensor's own memory, not in a new tensor under the same name")


@pytest.mark.checks("orthogonal_")
def test_orthogonal_fills_a_parameter_that_requires_grad(device, dtype):
    weight = nn.Parameter(torch.empty(5, 3, device=device, dtype=dtype))
    leaf_error = None
    try:
        fill(weight, gain=2.0)
    except RuntimeError as error:
        if "leaf" not in str(error):
            raise
        leaf_error = str(error)
    if leaf_error:
        fail(f"failed on an nn.Parameter: {leaf_error}",
             "an initializer is not part of the model's computation, so autograd must not record it: read about "
             "torch.no_grad.")
    if not (weight.requires_grad and weight.is_leaf):
        fail(f"left the Parameter with requires_grad={weight.requires_grad}, grad_fn={weight.grad_fn}: filling "
             "it must not record autograd history, nor switch its grad off.")
    assert_orthonormal(weight, 2.0, "the filled Parameter with gain=2.0")


@pytest.mark.checks("orthogonal_")
def test_orthogonal_returns_empty_tensors_unchanged(device):
    for shape in [(0, 3), (3, 0), (0, 2, 3), (4, 0, 3)]:
        tensor = torch.empty(shape, device=device)
        result = initializers.orthogonal_(tensor)
        if result is not tensor or tensor.shape != shape:
            fail(f"an empty tensor of shape {shape} must come back unchanged, the same object: there is nothing "
                 "to fill, and rows and cols of an empty tensor are where the computation breaks.")


@pytest.mark.checks("orthogonal_")
def test_orthogonal_rejects_fewer_than_2_dims(device):
    for shape in [(4,), (), (0,)]:  # (0,): check ndim before returning empty tensors early
        with raises_value_error("tensor", DIMS, case=f"a tensor of shape {shape} (orthogonal_ needs at least 2 dims)"):
            initializers.orthogonal_(torch.ones(shape, device=device))


@pytest.mark.checks("orthogonal_")
def test_orthogonal_generator_makes_it_reproducible(device, dtype):
    def draw(shape, seed):
        return initializers.orthogonal_(torch.empty(shape, device=device, dtype=dtype),
                                        generator=generator(device, seed)).clone()

    for shape in [(4, 6), (6, 4)]:
        if not torch.equal(draw(shape, 0), draw(shape, 0)):
            fail(f"two calls with generators seeded alike gave different {shape} tensors: every random number "
                 "must come from `generator`, while the global RNG moves on between calls.")
        if torch.equal(draw(shape, 0), draw(shape, 1)):
            fail(f"generators seeded 0 and 1 gave the same {shape} tensor: the result must come from the "
                 "generator's random numbers.")

    # One generator used twice moves on, and the global RNG never notices it was used.
    seeded = generator(device, 0)
    torch.manual_seed(99)
    expected_global = torch.rand(3, device=device)
    torch.manual_seed(99)
    first = initializers.orthogonal_(torch.empty(4, 6, device=device, dtype=dtype), generator=seeded).clone()
    second = initializers.orthogonal_(torch.empty(4, 6, device=device, dtype=dtype), generator=seeded)
    if torch.equal(first, second):
        fail("two calls with the SAME generator gave the same tensor. Drawing from a generator moves its state "
             "on, so the second call must give a new matrix; re-seeding from generator.initial_seed() is the "
             "usual cause.")
    if not torch.equal(torch.rand(3, device=device), expected_global):
        fail("calling it with a generator changed torch's global RNG (the next torch.rand differs). With a "
             "generator, every draw comes from it alone, and a library function never seeds the global RNG.")


@pytest.mark.checks("orthogonal_")
def test_orthogonal_without_generator_follows_torch_manual_seed(device, dtype):
    draws = []
    for _ in range(2):
        torch.manual_seed(1234)
        draws.append(initializers.orthogonal_(torch.empty(3, 5, device=device, dtype=dtype)).clone())
    if not torch.equal(*draws):
        fail("with generator=None, two calls after the same torch.manual_seed gave different tensors: with no "
             "generator, the draws come from the global RNG.")


@pytest.mark.checks("orthogonal_")
def test_orthogonal_is_haar_distributed(device, dtype):
    """Every entry of a Haar-distributed (semi-)orthogonal matrix has mean 0 and variance 1 / max(rows, cols).

    Without the sign correction, QR returns Q with the signs LAPACK's algorithm picks: Q[0, 0] is never
    positive, and its mean over many draws is about -0.5 for a 3 x 3 matrix instead of 0.
    """
    draws, limit = 200, 6.0  # z-scores: a correct solution stays far inside 6; the sign bias reaches about 12
    for shape in [(3, 3), (4, 2), (2, 4)]:
        samples = torch.stack([initializers.orthogonal_(torch.empty(shape, device=device, dtype=dtype)).clone()
                               for _ in range(draws)]).double()
        means = samples.mean(dim=0)
        z = means * math.sqrt(draws * max(shape))
        worst = divmod(int(z.abs().argmax()), shape[1])
        if z.abs().max() > limit:
            fail(f"over {draws} draws of a {shape} matrix, entry {list(worst)} averages "
                 f"{means[worst].item():+.3f}; for uniformly (Haar) distributed matrices every entry averages 0 "
                 f"(within about {limit / math.sqrt(draws * max(shape)):.2f} here).",
                 "this bias comes from the signs of Q's columns: QR is unique only up to those signs, and LAPACK "
                 "picks them by a fixed rule, not at random, so Q as it comes is not Haar distributed "
                 "(python -m katas hint 04_init orthogonal_).")


# init_weights ------------------------------------------------------------------------------------

class Dense(nn.Linear):
    """A subclass of nn.Linear (as MultiheadAttention's out_proj is): still a Linear for isinstance."""


class Norm(nn.BatchNorm1d):
    """A subclass of nn.BatchNorm1d: still a BatchNorm1d for isinstance."""


ORTHOGONAL = ("conv1d", "conv2d", "conv3d", "linear", "dense")
NORMS = ("batchnorm1d", "batchnorm2d", "batchnorm3d", "layernorm", "groupnorm", "norm")
# Not in the lists: ConvTranspose2d is no Conv2d, InstanceNorm1d no BatchNorm1d (only their private bases
# _ConvNd and _NormBase are shared), and an Embedding has a weight but is no layer to orthogonalize.
UNTOUCHED = ("convtranspose2d", "instancenorm1d", "embedding")


def every_kind_of_module(device, dtype) -> nn.Module:
    """A model with each module type init_weights handles (and subclasses of two of them), plus modules
    it must leave alone, with every parameter scrambled so that the right init is not there already."""
    model = nn.ModuleDict({
        "conv1d": nn.Conv1d(2, 4, 3), "conv2d": nn.Conv2d(2, 4, 3), "conv3d": nn.Conv3d(2, 3, 2),
        "linear": nn.Linear(6, 5), "dense": Dense(3, 4),
        "batchnorm1d": nn.BatchNorm1d(4), "batchnorm2d": nn.BatchNorm2d(3), "batchnorm3d": nn.BatchNorm3d(2),
        "layernorm": nn.LayerNorm(5), "groupnorm": nn.GroupNorm(2, 4), "norm": Norm(3),
        "convtranspose2d": nn.ConvTranspose2d(2, 3, 2), "instancenorm1d": nn.InstanceNorm1d(3, affine=True),
        "embedding": nn.Embedding(10, 3),
    })
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_()
    return model.to(device=device, dtype=dtype)


def snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: parameter.detach().clone() for name, parameter in model.named_parameters()}


def check_initialized(model: nn.Module, gain: float, before: dict, device, dtype) -> None:
    __tracebackhide__ = True
    place = torch.empty(0, device=device).device
    moved = {name: f"{p.dtype} on {p.device}" for name, p in model.named_parameters()
             if p.dtype != dtype or p.device != place}
    if moved:
        listed = ", ".join(f"{name} ({was})" for name, was in list(moved.items())[:3])
        more = f" and {len(moved) - 3} more" if len(moved) > 3 else ""
        fail(f"changed the dtype or device of {listed}{more}; the model is {dtype} on {place}. A tensor made "
             "anew (torch.zeros(n) is float32 on the CPU) and swapped in with `p.data = ...` is the usual cause: "
             "the values belong in the existing tensors.")
    for name in ORTHOGONAL + NORMS:
        layer = model[name]
        if torch.equal(layer.weight.detach(), before[f"{name}.weight"]):
            kind, base = type(layer).__name__, type(layer).__mro__[1].__name__
            why = (f"{kind} is a subclass of nn.{base}: isinstance counts subclasses, a comparison of types "
                   "does not." if name in ("dense", "norm") else f"nn.{kind} is one of the types the contract lists.")
            fail(f"left {name}.weight ({kind}) as it was. {why}")
    for name in ORTHOGONAL:
        layer = model[name]
        assert_orthonormal(layer.weight, gain, f"{name}.weight ({type(layer).__name__}) after model.apply")
        assert_tensor(layer.bias.detach(), torch.zeros_like(layer.bias), what=f"{name}.bias", rtol=0.0, atol=0.0,
                      hint="the contract sets the bias of every Linear and Conv1d/2d/3d layer to zero")
    for name in NORMS:
        layer = model[name]
        kind = type(layer).__name__
        hint = f"a {kind} starts as the identity: weight 1, bias 0 (match it with isinstance)"
        assert_tensor(layer.weight.detach(), torch.ones_like(layer.weight), what=f"{name}.weight ({kind})",
                      rtol=0.0, atol=0.0, hint=hint)
        assert_tensor(layer.bias.detach(), torch.zeros_like(layer.bias), what=f"{name}.bias ({kind})",
                      rtol=0.0, atol=0.0, hint=hint)
    for name in UNTOUCHED:
        kind = type(model[name]).__name__
        for key, parameter in model[name].named_parameters():
            assert_tensor(parameter.detach(), before[f"{name}.{key}"], what=f"{name}.{key} ({kind})", rtol=0.0,
                          atol=0.0, hint=f"init_weights leaves every module type it does not list untouched: a "
                          f"{kind} is none of Linear, Conv1d/2d/3d, BatchNorm1d/2d/3d, LayerNorm, GroupNorm. Match "
                          "those classes with isinstance; not every module with a `weight`, nor the private "
                          "bases _ConvNd / _NormBase (which ConvTranspose and InstanceNorm share)")


@pytest.mark.checks("init_weights")
def test_init_weights_initializes_each_module_type(device, dtype):
    model = every_kind_of_module(device, dtype)
    parameters = dict(model.named_parameters())
    before = snapshot(model)
    model.apply(initializers.init_weights)
    now = dict(model.named_parameters())
    replaced = [name for name in parameters if now.get(name) is not parameters[name]]
    if replaced:
        fail(f"replaced the parameters {replaced} with new objects, so an optimizer built before the init keeps "
             "training the old ones: the values belong in the existing parameters.")
    if not all(p.requires_grad and p.is_leaf for p in now.values()):
        fail("left parameters that no longer require grad or have autograd history: initializing must not be "
             "recorded by autograd (read about torch.no_grad).")
    check_initialized(model, math.sqrt(2.0), before, device, dtype)


@pytest.mark.checks("init_weights")
def test_init_weights_passes_gain_on(device, dtype):
    model = every_kind_of_module(device, dtype)
    before = snapshot(model)
    model.apply(lambda module: initializers.init_weights(module, gain=0.5))
    check_initialized(model, 0.5, before, device, dtype)


@pytest.mark.checks("init_weights")
def test_init_weights_handles_layers_without_bias_or_affine(device, dtype):
    model = nn.ModuleDict({
        "linear": nn.Linear(4, 3, bias=False), "conv2d": nn.Conv2d(2, 3, 3, bias=False),
        "batchnorm2d": nn.BatchNorm2d(3, affine=False), "layernorm": nn.LayerNorm(5, elementwise_affine=False),
        "groupnorm": nn.GroupNorm(2, 4, affine=False), "layernorm_without_bias": nn.LayerNorm(5, bias=False),
    }).to(device=device, dtype=dtype)
    with torch.no_grad():
        model["layernorm_without_bias"].weight.normal_()
    model.apply(initializers.init_weights)
    for name in ("linear", "conv2d"):
        assert_orthonormal(model[name].weight, math.sqrt(2.0), f"{name}.weight (no bias)")
    weight = model["layernorm_without_bias"].weight
    assert_tensor(weight.detach(), torch.ones_like(weight), what="the weight of LayerNorm(5, bias=False)",
                  rtol=0.0, atol=0.0, hint="a norm layer may have a weight but no bias: check each for None")


# The judge's cases (judge_initializers.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
