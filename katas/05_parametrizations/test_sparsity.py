"""Tests for kata 05, parametrizations. Run: pytest katas/05_parametrizations (add -k sparsify_ for
one function).

Masks are checked for what they must be: bool, the exact count of zeros, the right places, the
right device, replayable with a generator and spread over every place across seeds. The
parametrizations are checked for what they must survive: optimizer steps (SGD with momentum and
weight decay, Adam), .to(), state_dict and torch.save round trips, assignment to the weight. The
harness adds the kata's rules to every call of a function (no torch.nn.utils.prune; the inputs of
random_mask and magnitude_mask unchanged).
"""

import io
import math

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.testing import make_tensor

from katas.harness import (
    assert_grad, assert_tensor, fail, generator, gradients, implementation, judged_tests, raises_value_error,
    tensor_type, under_rules,
)
from katas.harness.errors import KataFailure, KataLoadError

sparsity = implementation(__file__)

# (shape, sparsity): where round() differs from floor() or ceil() (0.3 * 12 = 3.6, 0.2 * 12 = 2.4,
# 0.7 * 30 = 20.999...), never a .5 tie, and both ends.
COUNT_CASES = [((3, 4), 0.0), ((3, 4), 0.2), ((3, 4), 0.3), ((3, 4), 0.5), ((2, 3, 5), 0.7), ((7,), 0.6), ((3, 4), 1.0)]
BAD_SPARSITIES = [-0.1, 1.5, math.nan]


def zeros_for(shape: tuple[int, ...], level: float) -> int:
    return round(level * math.prod(shape))


def device_of(device: str) -> torch.device:
    """"cuda" as the tensors report it ("cuda:0"), so devices compare equal."""
    return torch.empty(0, device=device).device


# Why a mask's count of zeros comes out wrong, per kind of mask.
ROUNDING = "Count the zeros with round(sparsity * numel) (Python's round, not int(), which floors)"
RANDOM_COUNT = (f"{ROUNDING} and place exactly that many; a threshold like rand() < sparsity only hits the count "
                "on average.")
MAGNITUDE_COUNT = (f"{ROUNDING} and mask exactly that many positions, chosen by rank; a threshold on the values "
                   "masks (or keeps) every entry tied at the cut at once.")
TIES_COUNT = ("The weights are integers, so many entries share each magnitude and the cut falls inside a tie: a "
              "threshold on abs(weight) masks (or keeps) every tied entry at once. Mask exactly round(sparsity * "
              "numel) positions, chosen by rank, and let the ordering break the ties.")


def check_mask(mask: object, shape: tuple[int, ...], device: str, zeros: int, what: str,
               why: str = RANDOM_COUNT) -> None:
    """Structure first (tensor, bool, shape, device), then the exact number of False entries (`why` says
    what usually gets that count wrong)."""
    __tracebackhide__ = True
    if (tensor_type(mask) is not torch.Tensor or mask.dtype != torch.bool or mask.shape != shape
            or mask.device != device_of(device)):
        described = (f"{tensor_type(mask).__name__}" if tensor_type(mask) is not torch.Tensor
                     else f"{mask.dtype} tensor of shape {tuple(mask.shape)} on {mask.device}")
        fail(f"{what} should be a bool tensor of shape {shape} on {device_of(device)} (True keeps an entry, "
             f"False zeroes it), got a {described}")
    if int((~mask).sum()) != zeros:
        fail(f"{what} has {int((~mask).sum())} False entries, expected exactly {zeros} of {math.prod(shape)}. {why}")


def smallest_first(weight: torch.Tensor, zeros: int) -> torch.Tensor:
    """The magnitude mask for distinct |weight|, found with kthvalue instead of a sort."""
    magnitude = weight.detach().abs()
    if zeros == 0:
        return torch.ones_like(magnitude, dtype=torch.bool)
    return magnitude > magnitude.flatten().kthvalue(zeros).values


def the_mask_buffer(module: nn.Module, what: str) -> torch.Tensor:
    """The one buffer `module` holds: the mask, whatever the student named it."""
    __tracebackhide__ = True
    buffers = dict(module.named_buffers())
    parameters = [name for name, p in module.named_parameters() if p.dtype == torch.bool]
    if len(buffers) != 1:
        fail(f"{what} should hold the mask as its one buffer (read about Module.register_buffer), found buffers "
             f"{sorted(buffers) or 'none'}"
             + (f" and the mask as parameter {parameters[0]!r}: a Parameter is for what the optimizer trains, "
                "a buffer for state that only travels with the module"
                if parameters else ". A plain attribute (self.mask = mask) is invisible to .to() and state_dict."))
    (name, buffer), = buffers.items()
    if buffer.dtype != torch.bool:
        fail(f"{what} keeps the mask as a {buffer.dtype} buffer {name!r}; keep the bool mask as given "
             "(module.double() or .half() would convert a float buffer, never a bool one)")
    return buffer


def linear(device: str, dtype: torch.dtype, features: tuple[int, int] = (6, 5)) -> nn.Linear:
    return nn.Linear(*features, device=device, dtype=dtype)


def original_of(layer: nn.Module, name: str = "weight") -> torch.Tensor:
    """The tensor the optimizer trains under a parametrization of layer.<name>."""
    __tracebackhide__ = True
    if not parametrize.is_parametrized(layer, name):
        fail(f"layer.{name} is not parametrized: a SparseMask registered on it with torch.nn.utils.parametrize "
             f"leaves the trained tensor at layer.parametrizations.{name}.original")
    return getattr(layer.parametrizations, name).original


class Optimizer:
    """SGD with momentum and weight decay, or Adam, written out as torch.optim does them.

    Not torch.optim itself: every built-in step() imports torch._dynamo on first use (its
    _use_grad_for_differentiable wrapper), over a second that every student would wait on every run. Like torch.optim, it skips parameters without a gradient.
    """

    def __init__(self, kind: str, parameters, lr: float):
        self.kind, self.lr, self.steps = kind, lr, 0
        self.parameters = list(parameters)
        self.state = [(torch.zeros_like(p), torch.zeros_like(p)) for p in self.parameters]

    def zero_grad(self) -> None:
        for p in self.parameters:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        for p, (first, second) in zip(self.parameters, self.state):
            if p.grad is None:
                continue
            if self.kind == "SGD":  # momentum 0.9, weight decay 0.01
                first.mul_(0.9).add_(p.grad + 0.01 * p)
                p.sub_(self.lr * first)
            else:  # Adam, betas (0.9, 0.999), eps 1e-8
                first.lerp_(p.grad, 0.1)
                second.mul_(0.999).addcmul_(p.grad, p.grad, value=0.001)
                size = self.lr / (1 - 0.9 ** self.steps)
                p.sub_(size * first / ((second / (1 - 0.999 ** self.steps)).sqrt() + 1e-8))


OPTIMIZERS = {"SGD": 0.1, "Adam": 0.05}  # kind: learning rate


# random_mask -----------------------------------------------------------------------------------


@pytest.mark.checks("random_mask")
def test_random_mask_exact_count(device):
    for shape, level in COUNT_CASES:
        mask = sparsity.random_mask(shape, level, device=device)
        check_mask(mask, shape, device, zeros_for(shape, level), f"random_mask({shape}, {level})")


@pytest.mark.checks("random_mask")
def test_random_mask_same_seed_same_mask(device):
    for seed in (0, 1234):
        first = sparsity.random_mask((6, 7), 0.5, generator=generator(device, seed), device=device)
        again = sparsity.random_mask((6, 7), 0.5, generator=generator(device, seed), device=device)
        check_mask(first, (6, 7), device, 21, f"random_mask((6, 7), 0.5) with generator seed {seed}")
        assert_tensor(again, first, what=f"a second mask from a fresh generator with seed {seed}",
                      hint="every random number must come from `generator`; the global RNG gives a different mask "
                      "each call")


@pytest.mark.checks("random_mask")
def test_random_mask_spreads_over_every_place(device):
    # Each of 20 places is masked with probability 1/2: about 50 times in 100 seeds. The bounds
    # are 5 standard deviations wide, so any uniform placement passes whatever its random stream.
    masks = torch.stack([sparsity.random_mask((4, 5), 0.5, generator=generator(device, seed),
                                              device=device) for seed in range(100)])
    times_masked = (~masks).sum(dim=0)
    if times_masked.min() < 25 or times_masked.max() > 75:
        fail("over 100 seeds each place should be masked about 50 times, but the counts per place "
             f"are\n{times_masked.cpu()}\nThe masked places must be uniform among all numel places.")
    # Every place alike is not enough: the k masked places must be a uniformly random k-subset. There are
    # C(20, 10) = 184756 of them, so 100 seeds give about 100 different masks (under 1 repeat on average).
    distinct = torch.unique(masks.flatten(1), dim=0).shape[0]
    if distinct < 90:
        fail(f"100 seeds gave only {distinct} different (4, 5) masks with 10 zeros, out of 184756 possible: the "
             "masked places move together (shuffled rows, a shifted run, a fixed pattern), while the k places "
             "must be one uniformly random subset of all numel places.")


@pytest.mark.checks("random_mask")
def test_random_mask_varies_without_generator(device):
    masks = torch.stack([sparsity.random_mask((4, 5), 0.5, device=device) for _ in range(10)])
    if (masks == masks[0]).all():
        fail("ten calls without a generator gave the same mask ten times. Without a generator the draws come "
             "from torch's global RNG, which a library function never seeds itself.")


@pytest.mark.checks("random_mask")
@pytest.mark.parametrize("level", BAD_SPARSITIES)
def test_random_mask_rejects_bad_sparsity(level, device):
    with raises_value_error("sparsity", case=f"sparsity={level} (it must satisfy 0 <= sparsity <= 1)"):
        sparsity.random_mask((3, 4), level, device=device)


# magnitude_mask --------------------------------------------------------------------------------


@pytest.mark.checks("magnitude_mask")
def test_magnitude_mask_drops_smallest_magnitudes(device, dtype):
    for shape, level in COUNT_CASES:
        weight = make_tensor(shape, device=device, dtype=dtype, low=-3, high=3)
        mask = sparsity.magnitude_mask(weight, level)
        zeros = zeros_for(shape, level)
        check_mask(mask, shape, device, zeros, f"magnitude_mask(weight of shape {shape}, {level})", MAGNITUDE_COUNT)
        assert_tensor(mask, smallest_first(weight, zeros), what=f"the mask for shape {shape} and sparsity {level}",
                      hint="mask (set False) the entries with the smallest abs(weight): -2.9 is a large "
                      "weight, 0.01 a small one")


@pytest.mark.checks("magnitude_mask")
def test_magnitude_mask_with_ties(device, dtype):
    # Integer weights: many entries share each magnitude, so the cut falls inside a tie.
    weight = torch.randint(-3, 4, (6, 8), device=device).to(dtype)
    for level in (0.3, 0.5, 0.8):
        mask = sparsity.magnitude_mask(weight, level)
        zeros = zeros_for((6, 8), level)
        check_mask(mask, (6, 8), device, zeros, f"magnitude_mask(integer weight with ties, {level})", TIES_COUNT)
        dropped, kept = weight.abs()[~mask], weight.abs()[mask]
        if dropped.max() > kept.min():
            fail(f"with sparsity {level} it masks a weight of magnitude {dropped.max().item():g} but keeps one "
                 f"of {kept.min().item():g}; mask the smallest magnitudes first.")


@pytest.mark.checks("magnitude_mask")
def test_magnitude_mask_of_a_trained_parameter(device, dtype):
    layer = linear(device, dtype)
    mask = sparsity.magnitude_mask(layer.weight, 0.5)
    check_mask(mask, (5, 6), device, 15, "magnitude_mask(layer.weight, 0.5)", MAGNITUDE_COUNT)
    assert_tensor(mask, smallest_first(layer.weight, 15), what="the mask of a Parameter")


@pytest.mark.checks("magnitude_mask")
@pytest.mark.parametrize("level", BAD_SPARSITIES)
def test_magnitude_mask_rejects_bad_sparsity(level, device):
    with raises_value_error("sparsity", case=f"sparsity={level} (it must satisfy 0 <= sparsity <= 1)"):
        sparsity.magnitude_mask(torch.randn(3, 4, device=device), level)


# SparseMask ------------------------------------------------------------------------------------


@pytest.mark.checks("SparseMask")
def test_sparse_mask_forward(device, dtype):
    mask = torch.rand(4, 6, device=device) < 0.5
    weight = make_tensor((4, 6), device=device, dtype=dtype, low=-2, high=2, requires_grad=True)
    before = weight.detach().clone()
    result = sparsity.SparseMask(mask)(weight)
    if not torch.equal(weight.detach(), before):
        fail("forward(weight) changed the weight it was given. Under a parametrization that weight "
             "is the trained original, which forward must leave as it was: an in-place op on it is the usual "
             "cause.")
    zero = torch.zeros((), device=device, dtype=dtype)
    assert_tensor(result, torch.where(mask, weight.detach(), zero), what="SparseMask(mask)(weight)",
                  hint="forward's result is the weight times the mask, in the weight's dtype")
    upstream = torch.randn(4, 6, device=device, dtype=dtype)
    grad, = gradients(result, [weight], upstream)
    assert_grad(grad, torch.where(mask, upstream, zero), name="weight",
                hint="the gradient of weight * mask is the upstream gradient where kept, zero where masked")


@pytest.mark.checks("SparseMask")
def test_sparse_mask_keeps_mask_as_buffer(device):
    mask = torch.rand(3, 4) < 0.5
    module = sparsity.SparseMask(mask)
    assert_tensor(the_mask_buffer(module, "SparseMask(mask)"), mask, what="the mask buffer")
    if list(module.parameters()):
        fail("the module has parameters; the mask is fixed state, not trained")
    state = module.state_dict()
    if len(state) != 1:
        fail(f"state_dict() holds {sorted(state) or 'nothing'}, expected the mask alone: a persistent buffer is "
             "saved in state_dict() (persistent=False leaves it out), so that saving a pruned model saves its "
             "mask.")
    (key, saved), = state.items()
    assert_tensor(saved, mask, what=f"state_dict()[{key!r}]")
    for target in (device, "meta"):  # "meta" proves the move even on a machine without a GPU
        moved = the_mask_buffer(sparsity.SparseMask(mask).to(target), f"SparseMask(mask).to({target!r})")
        if moved.device != device_of(target):
            fail(f"after .to({target!r}) the mask is on {moved.device}")


# sparsify_ -------------------------------------------------------------------------------------


@pytest.mark.checks("sparsify_")
def test_sparsify_registers_a_parametrization(device, dtype):
    layer = linear(device, dtype)
    before = layer.weight.detach().clone()
    result = sparsity.sparsify_(layer, 0.4)
    if result is not layer:
        fail(f"should return the module it sparsified (in place), got {type(result).__name__}")
    assert_tensor(original_of(layer), before, what="layer.parametrizations.weight.original",
                  hint="the original weight stays as it was; the mask is applied when the weight is read")
    if not isinstance(layer.parametrizations.weight[0], sparsity.SparseMask):
        fail("the parametrization on layer.weight should be a SparseMask, got "
             f"{type(layer.parametrizations.weight[0]).__name__}")
    if parametrize.is_parametrized(layer, "bias"):
        fail("sparsify_(layer, 0.4) parametrized layer.bias too; only `name` is sparsified")
    zero = torch.zeros((), device=device, dtype=dtype)
    assert_tensor(layer.weight, torch.where(smallest_first(before, 12), before, zero),
                  what="layer.weight after sparsify_(layer, 0.4)",
                  hint='method="magnitude" zeroes the 12 of 30 weights with the smallest abs value')


@pytest.mark.checks("sparsify_")
def test_sparsify_random_method(device):
    def zero_places(seed: int) -> torch.Tensor:
        layer = sparsity.sparsify_(linear(device, torch.float32), 0.5, method="random",
                                   generator=generator(device, seed))
        check_mask(layer.weight != 0, (5, 6), device, 15,
                   f'the nonzeros of layer.weight after sparsify_(layer, 0.5, method="random") (seed {seed})')
        return layer.weight == 0

    # Two layers with different weights and one seed: the same places, so the weights do not matter.
    seven = zero_places(7)
    assert_tensor(zero_places(7), seven, what='the zeros of a second layer sparsified with seed 7',
                  hint='method="random" masks places drawn from `generator`, whatever the weights are')
    if all(torch.equal(zero_places(seed), seven) for seed in (1, 2, 3)):
        fail('method="random" gives the same zeros for seeds 1, 2, 3 and 7: the places must come from the generator')


@pytest.mark.checks("sparsify_")
def test_sparsify_other_name(device):
    layer = sparsity.sparsify_(linear(device, torch.float32), 0.4, name="bias")
    if parametrize.is_parametrized(layer, "weight"):
        fail('sparsify_(layer, 0.4, name="bias") parametrized layer.weight; sparsify the tensor `name` names')
    original_of(layer, "bias")
    check_mask(layer.bias != 0, (5,), device, 2, 'the nonzeros of layer.bias after sparsify_(layer, 0.4, name="bias")',
               MAGNITUDE_COUNT)


@pytest.mark.checks("sparsify_")
def test_sparsify_rejects_bad_arguments(device):
    for options, keywords, case in [({"method": "l1"}, ("method", "l1"), 'method="l1" (only "magnitude" and "random" exist)'),
                                    ({"sparsity": 1.5}, ("sparsity",), "sparsity=1.5")]:
        layer = linear(device, torch.float32)
        with raises_value_error(*keywords, case=case):
            sparsity.sparsify_(layer, **{"sparsity": 0.5, **options})
        if parametrize.is_parametrized(layer):
            fail(f"raised ValueError for {case} but left the layer parametrized: check the arguments first, "
                 "before registering anything.")


@pytest.mark.checks("sparsify_")
def test_sparsify_mask_is_a_buffer(device):
    layer = sparsity.sparsify_(linear("cpu", torch.float32), 0.4)
    original_of(layer)
    trained = {name for name, _ in layer.named_parameters()}
    if trained != {"parametrizations.weight.original", "bias"}:
        fail(f"the optimizer would see the parameters {sorted(trained)}, expected only "
             "'parametrizations.weight.original' and 'bias': the mask belongs in a buffer")
    mask = the_mask_buffer(layer, "the sparsified layer")
    assert_tensor(mask, layer.weight != 0, what="the mask buffer", hint="True where the weight is kept")
    if not any(key.startswith("parametrizations.weight.") and torch.equal(value, mask)
               for key, value in layer.state_dict().items() if value.dtype == torch.bool):
        fail("the mask is missing from layer.state_dict()")
    x = torch.randn(3, 6)
    expected = layer(x).detach()
    for target in (device, "meta"):  # "meta" proves the move even on a machine without a GPU
        layer = layer.to(target)
        moved = the_mask_buffer(layer, f"the sparsified layer after .to({target!r})")
        if moved.device != device_of(target):
            fail(f"after layer.to({target!r}) the mask is on {moved.device}")
        if target != "meta":
            assert_tensor(layer(x.to(target)).detach(), expected.to(target), what=f"layer(x) after .to({target!r})")


@pytest.mark.checks("sparsify_")
def test_sparsify_state_dict_round_trip(device, dtype):
    layer = sparsity.sparsify_(linear(device, dtype), 0.4)
    saved = io.BytesIO()
    torch.save(layer.state_dict(), saved)
    saved.seek(0)
    # A fresh layer has other weights, so magnitude pruning gives it another mask: loading must replace it.
    fresh = sparsity.sparsify_(linear(device, dtype), 0.4)
    fresh.load_state_dict(torch.load(saved))
    assert_tensor(fresh.weight, layer.weight, what="layer.weight after torch.save / torch.load into a fresh "
                  "sparsified layer", hint="only buffers and parameters are saved, so the mask belongs in a buffer")


@pytest.mark.checks("sparsify_")
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_sparsify_survives_training(optimizer, device, dtype):
    layer = sparsity.sparsify_(linear(device, dtype), 0.5)
    masked = (layer.weight == 0).detach()
    check_mask(~masked, (5, 6), device, 15, "the nonzeros of layer.weight after sparsify_(layer, 0.5)", MAGNITUDE_COUNT)
    before = layer.weight.detach().clone()
    step = Optimizer(optimizer, layer.parameters(), lr=OPTIMIZERS[optimizer])
    x = torch.randn(16, 6, device=device, dtype=dtype)
    target = torch.randn(16, 5, device=device, dtype=dtype)
    for number in range(1, 21):
        step.zero_grad()
        ((layer(x) - target) ** 2).mean().backward()
        step.step()
        regrown = int((layer.weight[masked] != 0).sum())
        if regrown:
            fail(f"after {optimizer} step {number}, {regrown} of the 15 masked weights are nonzero again. "
                 "Zeroing the weight once does not last: the gradient (and momentum, Adam's moments) write to "
                 "it. Apply the mask on every read with a parametrization.")
    if torch.equal(layer.weight[~masked], before[~masked]):
        fail(f"{optimizer} did not change the kept weights in 20 steps; the gradient must still reach them")


@pytest.mark.checks("sparsify_")
def test_sparsify_masked_gradients_are_zero(device, dtype):
    layer = sparsity.sparsify_(linear(device, dtype), 0.5)
    x = torch.randn(8, 6, device=device, dtype=dtype)
    upstream = torch.randn(8, 5, device=device, dtype=dtype)
    weight = layer.weight.detach().requires_grad_()
    expected, = gradients(torch.nn.functional.linear(x, weight, layer.bias.detach()), [weight], upstream)
    expected = torch.where(weight.detach() == 0, 0, expected)
    grad, = gradients(layer(x), [original_of(layer)], upstream)
    assert_grad(grad, expected, name="layer.parametrizations.weight.original",
                hint="weight * mask sends zero gradient to the masked entries and the full one to the kept")


# Symmetric -------------------------------------------------------------------------------------


def upper_mirrored(X: torch.Tensor) -> torch.Tensor:
    """X[min(i, j), max(i, j)], written with an index comparison instead of triu."""
    rows = torch.arange(X.shape[0], device=X.device)
    return torch.where(rows[:, None] <= rows[None, :], X, X.mT)


@pytest.mark.checks("Symmetric")
def test_symmetric_forward(device, dtype):
    X = make_tensor((5, 5), device=device, dtype=dtype, low=-2, high=2, requires_grad=True)
    result = sparsity.Symmetric()(X)
    assert_tensor(result, upper_mirrored(X).detach(), what="Symmetric()(X)",
                  hint="out[i, j] = X[min(i, j), max(i, j)]: the diagonal counted once (X + X.mT doubles it), and "
                  "nothing read from X's own lower triangle")
    upstream = torch.randn(5, 5, device=device, dtype=dtype)
    grad, = gradients(result, [X], upstream)
    expected, = gradients(upper_mirrored(X), [X], upstream)
    assert_grad(grad, expected, name="X", hint="the lower triangle of X is never read, so its gradient is zero")


@pytest.mark.checks("Symmetric")
def test_symmetric_registers_on_a_nonsymmetric_weight(device, dtype):
    layer = linear(device, dtype, (4, 4))
    try:
        parametrize.register_parametrization(layer, "weight", sparsity.Symmetric())
    except NotImplementedError:
        raise
    except Exception as error:
        fail(f"register_parametrization raised {type(error).__name__}({error}). Registering calls "
             "right_inverse(current weight), which is not symmetric yet; right_inverse must "
             "accept any square matrix.")
    if not torch.equal(layer.weight, layer.weight.mT):
        fail(f"after registering, layer.weight is not symmetric:\n{layer.weight}")


@pytest.mark.checks("Symmetric")
def test_symmetric_weight_assignment(device, dtype):
    layer = linear(device, dtype, (4, 4))
    parametrize.register_parametrization(layer, "weight", sparsity.Symmetric())
    B = make_tensor((4, 4), device=device, dtype=dtype, low=-1, high=1)
    A = B + B.mT
    layer.weight = A
    assert_tensor(layer.weight, A, what="layer.weight after layer.weight = A (A symmetric)",
                  hint="assignment stores right_inverse(A) and reads back forward(right_inverse(A)): "
                  "forward must map it back to A")


@pytest.mark.checks("Symmetric")
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_symmetric_stays_symmetric_in_training(optimizer, device, dtype):
    layer = linear(device, dtype, (4, 4))
    parametrize.register_parametrization(layer, "weight", sparsity.Symmetric())
    before = layer.weight.detach().clone()
    step = Optimizer(optimizer, layer.parameters(), lr=OPTIMIZERS[optimizer])
    x = torch.randn(16, 4, device=device, dtype=dtype)
    target = x @ torch.randn(4, 4, device=device, dtype=dtype)  # a non-symmetric map to pull towards
    for number in range(1, 6):
        step.zero_grad()
        ((layer(x) - target) ** 2).mean().backward()
        step.step()
        weight = layer.weight  # each read runs forward again
        if not torch.equal(weight, weight.mT):
            fail(f"after {optimizer} step {number} layer.weight is not symmetric:\n{weight.detach()}")
    if torch.equal(weight, before):
        fail(f"{optimizer} did not change layer.weight in 5 steps; the gradient must flow through "
             "forward to the original")


# Orthogonal ------------------------------------------------------------------------------------

# Float32 rounding in one solve of a 5 x 5 system with entries of a few units: about 1e-6.
ORTHOGONAL_TOLERANCE = {torch.float32: dict(rtol=1e-4, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-12)}


def cayley(X: torch.Tensor) -> torch.Tensor:
    """The contract's Q, computed in float64 with an explicit inverse."""
    X = X.double()
    A = torch.where(torch.ones_like(X, dtype=torch.bool).triu(1), X, 0)
    A = A - A.mT
    eye = torch.eye(X.shape[0], dtype=X.dtype, device=X.device)
    return (eye - A) @ torch.linalg.inv(eye + A)


def orthogonal_matrix(n: int, device: str, dtype: torch.dtype) -> torch.Tensor:
    """A random orthogonal matrix without the eigenvalue -1: the Cayley map of a random X."""
    return cayley(torch.randn(n, n, device=device, dtype=torch.float64)).to(dtype)


def assert_orthogonal(Q: torch.Tensor, what: str, hint: str = "") -> None:
    __tracebackhide__ = True
    eye = torch.eye(Q.shape[-1], device=Q.device, dtype=Q.dtype)
    assert_tensor((Q.mT @ Q).detach(), eye, what=f"W.mT @ W for {what}", hint=hint, **ORTHOGONAL_TOLERANCE[Q.dtype])


@pytest.mark.checks("Orthogonal")
def test_orthogonal_forward(device, dtype):
    X = make_tensor((5, 5), device=device, dtype=dtype, low=-2, high=2, requires_grad=True)
    result = under_rules(sparsity, "Orthogonal", lambda: sparsity.Orthogonal()(X))
    hint = ("A is built from X's strict upper triangle, minus its transpose; X's diagonal and lower triangle are "
            "never read, and the product is (I - A) times the inverse of (I + A)")
    assert_tensor(result, cayley(X).to(dtype), what="Orthogonal()(X)", hint=hint, **ORTHOGONAL_TOLERANCE[dtype])
    upstream = torch.randn(5, 5, device=device, dtype=dtype)
    grad, = gradients(result, [X], upstream)
    X64 = X.detach().double().requires_grad_()
    expected, = gradients(cayley(X64), [X64], upstream.double())
    assert_grad(grad, expected.to(dtype), name="X", hint="Q is computed from X with torch ops only, so autograd "
                "reaches X; its lower triangle and diagonal get zero", **ORTHOGONAL_TOLERANCE[dtype])


@pytest.mark.checks("Orthogonal")
def test_orthogonal_weight_assignment(device, dtype):
    """Assigning an orthogonal Q stores right_inverse(Q) and reads back forward of it: Q again."""
    layer = linear(device, dtype, (5, 5))
    Q = orthogonal_matrix(5, device, dtype)

    def assign():
        parametrize.register_parametrization(layer, "weight", sparsity.Orthogonal())
        layer.weight = Q
        return layer.weight

    assert_tensor(under_rules(sparsity, "Orthogonal", assign), Q, what="layer.weight after layer.weight = Q "
                  "(Q orthogonal, without the eigenvalue -1)", **ORTHOGONAL_TOLERANCE[dtype],
                  hint="the Cayley map is its own inverse: from Q, find the A that forward would turn into Q, then an "
                  "X whose strict upper triangle gives that A")


@pytest.mark.checks("Orthogonal")
@pytest.mark.parametrize("weight", ["nn.Linear's own", "a reflection", "-I"])
def test_orthogonal_registers_on_any_square_weight(weight, device, dtype):
    """Registering calls right_inverse on the current weight, which need not be orthogonal, and may be
    orthogonal with the eigenvalue -1 (where I + Q is singular)."""
    layer = linear(device, dtype, (4, 4))
    with torch.no_grad():
        if weight == "a reflection":
            layer.weight.copy_(torch.diag(torch.tensor([1.0, 1.0, 1.0, -1.0], device=device, dtype=dtype)))
        elif weight == "-I":
            layer.weight.copy_(-torch.eye(4, device=device, dtype=dtype))

    def register():
        parametrize.register_parametrization(layer, "weight", sparsity.Orthogonal())
        return layer.weight

    try:
        registered = under_rules(sparsity, "Orthogonal", register)
    except (NotImplementedError, KataFailure, KataLoadError):
        raise
    except Exception as error:
        fail(f"register_parametrization raised {type(error).__name__}({str(error)[:200]}) on {weight} weight. "
             "Registering calls right_inverse(current weight), and right_inverse must accept any square matrix: "
             "I + W is singular when W has the eigenvalue -1, so an exact solve fails there.")
    assert_orthogonal(registered, f"the weight after registering on {weight} weight")


@pytest.mark.checks("Orthogonal")
@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_orthogonal_stays_orthogonal_in_training(optimizer, device, dtype):
    layer = linear(device, dtype, (5, 5))
    x = torch.randn(16, 5, device=device, dtype=dtype)
    target = x @ (3 * torch.randn(5, 5, device=device, dtype=dtype))  # far from any orthogonal map

    def train():
        parametrize.register_parametrization(layer, "weight", sparsity.Orthogonal())
        before = layer.weight.detach().clone()
        step = Optimizer(optimizer, layer.parameters(), lr=OPTIMIZERS[optimizer])
        for number in range(1, 21):
            step.zero_grad()
            ((layer(x) - target) ** 2).mean().backward()
            step.step()
            assert_orthogonal(layer.weight, f"layer.weight after {optimizer} step {number}")
        return before, layer.weight.detach()

    before, after = under_rules(sparsity, "Orthogonal", train)
    if torch.equal(before, after):
        fail(f"{optimizer} did not change layer.weight in 20 steps; the gradient must flow through forward to the "
             "original")


# make_permanent_ -------------------------------------------------------------------------------


class Tripled(nn.Module):
    """A parametrization of the tests' own, so make_permanent_ is graded apart from the rest."""

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return 3 * X


@pytest.mark.checks("make_permanent_")
def test_make_permanent_bakes_in_the_value(device, dtype):
    layer = linear(device, dtype)
    parametrize.register_parametrization(layer, "weight", Tripled())
    expected = layer.weight.detach().clone()
    result = sparsity.make_permanent_(layer)
    if result is not layer:
        fail(f"should return the module it changed (in place), got {type(result).__name__}")
    if parametrize.is_parametrized(layer):
        fail("the layer is still parametrized")
    if tensor_type(layer.weight) is not nn.Parameter or not layer.weight.requires_grad:
        fail(f"layer.weight should be a plain nn.Parameter that requires grad, got {tensor_type(layer.weight).__name__} "
             f"(requires_grad={layer.weight.requires_grad})")
    assert_tensor(layer.weight.detach(), expected, what="layer.weight after make_permanent_",
                  hint="the contract keeps the parametrized value (what layer.weight read), not the original the "
                  "optimizer trained")
    names = sorted(name for name, _ in layer.named_parameters())
    if names != ["bias", "weight"]:
        fail(f"the layer's parameters are {names}, expected ['bias', 'weight']")


@pytest.mark.checks("make_permanent_")
def test_make_permanent_other_name(device):
    layer = linear(device, torch.float32)
    parametrize.register_parametrization(layer, "weight", Tripled())
    parametrize.register_parametrization(layer, "bias", Tripled())
    expected = layer.bias.detach().clone()
    sparsity.make_permanent_(layer, "bias")
    if parametrize.is_parametrized(layer, "bias") or not parametrize.is_parametrized(layer, "weight"):
        fail('make_permanent_(layer, "bias") should remove the parametrization of layer.bias and only that one')
    assert_tensor(layer.bias.detach(), expected, what="layer.bias after make_permanent_(layer, 'bias')")


PARAMETRIZED = ("parametriz", "parametris")  # parametrized, parametrization; British spelling alike


@pytest.mark.checks("make_permanent_")
def test_make_permanent_rejects_plain_tensors(device):
    with raises_value_error("weight", PARAMETRIZED, case="a layer whose weight is not parametrized"):
        sparsity.make_permanent_(linear(device, torch.float32))
    layer = linear(device, torch.float32)
    parametrize.register_parametrization(layer, "weight", Tripled())
    with raises_value_error("bias", PARAMETRIZED, case='name="bias" when only the weight is parametrized'):
        sparsity.make_permanent_(layer, "bias")


# The judge's cases (judge_sparsity.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
