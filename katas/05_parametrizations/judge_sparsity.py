"""The judge's cases for kata 05: masks by what they must be (bool, the exact count of zeros, the smallest
magnitudes, replayable with a generator, spread over every place across draws), and the modules through
what they must survive: a registered parametrization, an assigned weight, a few steps of training.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/05_parametrizations` runs the same cases here, on a fresh draw each
time.
"""

import math

import torch

from katas.harness.builders import module
from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_data, expect_grads, expect_returned, expect_structure,
    expect_tensor, expect_values, expected_grads, judged,
)

CASES = []


def shape_drawn(draw) -> tuple[int, ...]:
    return tuple(draw.size(1, 6) for _ in range(draw.size(1, 3)))


def sparsity_for(draw, numel: int, zeros: int | None = None) -> float:
    """A sparsity whose count of zeros, round(sparsity * numel), is not the floor of sparsity * numel:
    ``zeros`` + 1 of them (None: drawn, at least one kept where numel allows)."""
    zeros = draw.size(0, max(numel - 2, 0)) if zeros is None else zeros
    return (zeros + draw.number(0.55, 0.9)) / numel


def expect_mask(mask, shape: tuple[int, ...], zeros: int, what: str = "the mask") -> None:
    expect_structure(mask, shape, torch.bool, what=what)
    if int((~mask).sum()) != zeros:
        raise Mismatch(f"{what} has {int((~mask).sum())} False entries, expected round(sparsity * numel) = {zeros}")


def smallest_first(weight: torch.Tensor, zeros: int) -> torch.Tensor:
    """The magnitude mask for distinct |weight|, found with kthvalue instead of a sort."""
    magnitude = weight.abs()
    if zeros == 0:
        return torch.ones_like(magnitude, dtype=torch.bool)
    return magnitude > magnitude.flatten().kthvalue(zeros).values


# random_mask --------------------------------------------------------------------------------------

@judged("random_mask", CASES)
def exact_count_replayed(draw):
    """Twice with a generator seeded alike: the exact count of zeros, the same mask both times (a third to
    two thirds of the places masked, so that masks drawn independently would differ)."""
    shape = tuple(draw.size(4, 6) for _ in range(draw.size(2, 3)))
    numel = math.prod(shape)
    level = sparsity_for(draw, numel, zeros=draw.size(numel // 3, 2 * numel // 3))

    def check(output):
        expect_returned(output)
        first, again = output.value
        expect_mask(first, shape, round(level * math.prod(shape)), f"random_mask({shape}, {level:.4g})")
        expect_tensor(again, first, what="the mask from a second generator seeded alike")

    generator = Recipe("generator", (draw.fresh_seed(),))
    return Judged(Call("random_mask", (shape, level), {"generator": generator}, repeat=2), check)


@judged("random_mask", CASES)
def spread_over_every_place(draw):
    """100 masks of shape (4, 5) with 10 zeros, from torch's global RNG: each place masked about 50 times
    (a standard deviation of 5), and 100 different masks of the 184756 possible (a repeat or two at most)."""
    draws = 100

    def check(output):
        expect_returned(output)
        for mask in output.value:
            expect_mask(mask, (4, 5), 10)
        masks = torch.stack(output.value)
        times_masked = (~masks).sum(dim=0)
        if times_masked.min() < 20 or times_masked.max() > 80:
            raise Mismatch(f"over {draws} masks each place should be masked 50 +- 5 times, but the counts per place "
                           f"are {times_masked.tolist()}: pick the masked places uniformly")
        distinct = torch.unique(masks.flatten(1), dim=0).shape[0]
        if distinct < 90:
            raise Mismatch(f"{draws} masks held only {distinct} different ones: choose the places jointly at random")

    return Judged(Call("random_mask", ((4, 5), 0.5), repeat=draws), check)


# magnitude_mask -----------------------------------------------------------------------------------

@judged("magnitude_mask", CASES)
def smallest_magnitudes(draw):
    shape = shape_drawn(draw)
    weight = draw.normal(*shape)
    level = sparsity_for(draw, weight.numel())
    expected = smallest_first(weight, round(level * weight.numel()))
    return Judged(Call("magnitude_mask", (weight, level)), lambda output: expect_values(output, expected))


@judged("magnitude_mask", CASES)
def integer_weights_with_ties(draw):
    """Integer weights, a sparsity whose cut falls inside a tie: exactly round(sparsity * numel) go."""
    weight = draw.integers(-3, 4, 6, 8).double()
    magnitudes = weight.abs().flatten().sort().values
    zeros = draw.choice([k for k in range(1, 48) if magnitudes[k - 1] == magnitudes[k]])
    level = sparsity_for(draw, weight.numel(), zeros=zeros - 1)

    def check(output):
        expect_returned(output)
        mask = output.value
        expect_mask(mask, (6, 8), round(level * 48))
        dropped, kept = weight.abs()[~mask], weight.abs()[mask]
        if dropped.numel() and kept.numel() and dropped.max() > kept.min():
            raise Mismatch(f"masks a weight of magnitude {dropped.max():g} but keeps one of {kept.min():g}")

    return Judged(Call("magnitude_mask", (weight, level)), check)


# SparseMask ---------------------------------------------------------------------------------------

@judged("SparseMask", CASES)
def masked_forward(draw):
    """SparseMask(mask)(weight): the kept entries, and their gradient only."""
    shape = shape_drawn(draw)
    mask, weight = draw.uniform(*shape) < 0.5, draw.normal(*shape)
    mask.view(-1)[0] = False
    expected = torch.where(mask, weight, 0.0)
    cotangent = draw.normal(*shape)

    def check(output):
        expect_values(output, expected)
        expect_grads(output, [torch.where(mask, cotangent, 0.0)], ["weight"])

    call = Call("SparseMask", (mask, weight), grads=(1,), cotangent=cotangent, scenario=Recipe("forward"))
    return Judged(call, check)


@judged("SparseMask", CASES)
def mask_kept_as_a_buffer(draw):
    """The bool mask as the module's one buffer, saved in state_dict; no parameters."""
    mask = draw.uniform(*shape_drawn(draw)) < 0.5

    def check(output):
        expect_returned(output)
        state = output.value
        if len(state["buffers"]) != 1:
            raise Mismatch(f"should hold the mask as its one buffer, found buffers {sorted(state['buffers'])}")
        (buffer,) = state["buffers"].values()
        expect_tensor(buffer, mask, what="the mask buffer (the bool mask as given)")
        expect_data(state["parameters"], [], what="the module's parameters")
        if len(state["state_dict"]) != 1:
            raise Mismatch(f"state_dict() holds {sorted(state['state_dict'])}, expected the mask alone")
        (saved,) = state["state_dict"].values()
        expect_tensor(saved, mask, what="the mask in state_dict()")

    return Judged(Call("SparseMask", (mask,), scenario=Recipe("module_state")), check)


# sparsify_ ----------------------------------------------------------------------------------------

def layer_and_data(draw) -> tuple[tuple, torch.Tensor, torch.Tensor]:
    """A Linear layer's recipe parameters, a batch of its inputs and targets."""
    inputs, outputs = draw.size(4, 6), draw.size(4, 6)
    batch = draw.size(4, 8)
    return ("Linear", (inputs, outputs), {}, draw.fresh_seed()), draw.normal(batch, inputs), draw.normal(batch, outputs)


def expect_layer(state: dict, weight, bias, parametrized: list[str]) -> None:
    expect_tensor(state["weight"], weight, what="layer.weight")
    expect_tensor(state["bias"], bias, what="layer.bias")
    expect_data(state["parametrized"], parametrized, what="the layer's parametrized tensors")
    trained = sorted(f"parametrizations.{n}.original" if n in parametrized else n for n in ("weight", "bias"))
    expect_data(state["parameters"], trained, what="the names of the layer's parameters")


@judged("sparsify_", CASES)
def magnitude_then_training(draw):
    """sparsify_(layer, sparsity): the smallest weights zeroed by a parametrization, and still exactly
    zero after five steps of SGD with momentum and weight decay, while the others train."""
    spec, x, target = layer_and_data(draw)
    weight, bias = (p.detach() for p in module(*spec).parameters())
    level = sparsity_for(draw, weight.numel())
    kept = smallest_first(weight, round(level * weight.numel()))

    def check(output):
        expect_returned(output)
        if not output.value["returned_it"]:
            raise Mismatch("should return the module it sparsified")
        expect_layer(output.value["changed"], torch.where(kept, weight, 0.0), bias, ["weight"])
        trained = output.value["trained"]["weight"]
        regrown = int((trained[~kept] != 0).sum())
        if regrown:
            raise Mismatch(f"after 5 steps of training, {regrown} masked weights are nonzero again")
        if torch.equal(trained[kept], weight[kept]):
            raise Mismatch("5 steps of training left the kept weights as they were: the gradient must reach them")

    scenario = Recipe("changed_and_trained", (x, target, 5))
    return Judged(Call("sparsify_", (Recipe("module", spec), level), scenario=scenario), check)


@judged("sparsify_", CASES)
def random_places_replayed(draw):
    """method="random" twice with a generator seeded alike: the same places, round(sparsity * numel) of them
    (about half, so that two independent draws almost never agree)."""
    spec, x, target = layer_and_data(draw)
    weight, bias = (p.detach() for p in module(*spec).parameters())
    level = sparsity_for(draw, weight.numel(), zeros=weight.numel() // 2)

    def check(output):
        expect_returned(output)
        runs = [run["changed"] for run in output.value]
        expect_structure(runs[0]["weight"], weight.shape, weight.dtype, what="layer.weight")
        zeroed = runs[0]["weight"] == 0
        expect_mask(~zeroed, tuple(weight.shape), round(level * weight.numel()), what="the nonzeros of layer.weight")
        for run in runs:
            expect_layer(run, torch.where(zeroed, 0.0, weight), bias, ["weight"])

    options = {"method": "random", "generator": Recipe("generator", (draw.fresh_seed(),))}
    scenario = Recipe("changed_and_trained", (x, target, 0))
    return Judged(Call("sparsify_", (Recipe("module", spec), level), options, repeat=2, scenario=scenario), check)


@judged("sparsify_", CASES)
def the_bias(draw):
    """name="bias": the bias sparsified, the weight left alone."""
    spec, x, target = layer_and_data(draw)
    weight, bias = (p.detach() for p in module(*spec).parameters())
    level = sparsity_for(draw, bias.numel())
    kept = smallest_first(bias, round(level * bias.numel()))

    def check(output):
        expect_returned(output)
        expect_layer(output.value["changed"], weight, torch.where(kept, bias, 0.0), ["bias"])

    scenario = Recipe("changed_and_trained", (x, target, 0))
    return Judged(Call("sparsify_", (Recipe("module", spec), level), {"name": "bias"}, scenario=scenario), check)


# Symmetric ----------------------------------------------------------------------------------------

def upper_mirrored(X: torch.Tensor) -> torch.Tensor:
    """X[min(i, j), max(i, j)], written with an index comparison instead of triu."""
    rows = torch.arange(X.shape[0])
    return torch.where(rows[:, None] <= rows[None, :], X, X.mT)


@judged("Symmetric", CASES)
def upper_triangle_mirrored(draw):
    n = draw.size(2, 6)
    X, cotangent = draw.normal(n, n), draw.normal(n, n)
    value, grads = upper_mirrored(X), expected_grads(upper_mirrored, (X,), (0,), cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, grads, ["X"])

    return Judged(Call("Symmetric", (X,), grads=(0,), cotangent=cotangent, scenario=Recipe("forward")), check)


def expect_symmetric(weight, n: int, what: str) -> None:
    expect_structure(weight, (n, n), torch.float64, what=what)
    if not torch.equal(weight, weight.mT):
        raise Mismatch(f"{what} is not symmetric:\n{weight}")


@judged("Symmetric", CASES)
def registered_assigned_trained(draw):
    """Registered on a square layer's (non-symmetric) weight, a symmetric matrix assigned to it, five
    steps of training towards a non-symmetric map: symmetric throughout, the assigned matrix read back."""
    n = draw.size(2, 5)
    spec = ("Linear", (n, n), {}, draw.fresh_seed())
    B = draw.normal(n, n)
    A = B + B.mT
    x = draw.normal(8, n)

    def check(output):
        expect_returned(output)
        expect_symmetric(output.value["registered"], n, "layer.weight after registering")
        expect_tensor(output.value["assigned"], A, what="layer.weight after layer.weight = A (A symmetric)")
        expect_symmetric(output.value["trained"], n, "layer.weight after 5 steps of training")
        if torch.equal(output.value["trained"], output.value["assigned"]):
            raise Mismatch("5 steps of training left layer.weight as it was: the gradient must reach the original")

    scenario = Recipe("parametrized_weight", (A, x, x @ draw.normal(n, n), 5))
    return Judged(Call("Symmetric", (Recipe("module", spec),), scenario=scenario), check)


# Orthogonal ---------------------------------------------------------------------------------------

def cayley(X: torch.Tensor) -> torch.Tensor:
    """(I - A) times the inverse of (I + A), A from X's strict upper triangle minus its transpose."""
    upper = torch.where(torch.ones_like(X, dtype=torch.bool).triu(1), X, 0)
    A = upper - upper.mT
    eye = torch.eye(X.shape[0], dtype=X.dtype)
    return (eye - A) @ torch.linalg.inv(eye + A)


@judged("Orthogonal", CASES)
def cayley_map(draw):
    n = draw.size(2, 6)
    X, cotangent = draw.normal(n, n), draw.normal(n, n)
    value, grads = cayley(X), expected_grads(cayley, (X,), (0,), cotangent)

    def check(output):
        expect_values(output, value, rtol=1e-10, atol=1e-12)
        expect_grads(output, grads, ["X"], rtol=1e-10, atol=1e-12)

    return Judged(Call("Orthogonal", (X,), grads=(0,), cotangent=cotangent, scenario=Recipe("forward")), check)


def expect_orthogonal(weight, n: int, what: str) -> None:
    expect_structure(weight, (n, n), torch.float64, what=what)
    expect_tensor(weight.mT @ weight, torch.eye(n, dtype=torch.float64), what=f"W.mT @ W for {what}",
                  rtol=1e-10, atol=1e-12)


@judged("Orthogonal", CASES)
def registered_then_assigned_and_trained(draw):
    """Registered on a square layer's (not orthogonal) weight, an orthogonal matrix without the eigenvalue
    -1 assigned to it, five steps of training towards a map far from orthogonal: orthogonal throughout,
    the assigned matrix read back."""
    n = draw.size(2, 5)
    spec = ("Linear", (n, n), {}, draw.fresh_seed())
    Q = cayley(draw.normal(n, n))
    x = draw.normal(8, n)

    def check(output):
        expect_returned(output)
        expect_orthogonal(output.value["registered"], n, "layer.weight after registering")
        expect_tensor(output.value["assigned"], Q, what="layer.weight after layer.weight = Q (Q orthogonal)",
                      rtol=1e-10, atol=1e-12)
        expect_orthogonal(output.value["trained"], n, "layer.weight after 5 steps of training")
        if torch.equal(output.value["trained"], output.value["assigned"]):
            raise Mismatch("5 steps of training left layer.weight as it was: the gradient must reach the original")

    scenario = Recipe("parametrized_weight", (Q, x, x @ (3 * draw.normal(n, n)), 5))
    return Judged(Call("Orthogonal", (Recipe("module", spec),), scenario=scenario), check)


# make_permanent_ ----------------------------------------------------------------------------------

@judged("make_permanent_", CASES)
def tripled_value_kept(draw):
    """Weight and bias both parametrized (times 3, a parametrization of the judge's own); the one named
    becomes a plain Parameter holding its parametrized value, the other stays parametrized."""
    spec, _, _ = layer_and_data(draw)
    weight, bias = (p.detach() for p in module(*spec).parameters())
    name = draw.choice(["weight", "bias"])
    other = "bias" if name == "weight" else "weight"

    def check(output):
        expect_returned(output)
        if not output.value["returned_it"]:
            raise Mismatch("should return the module it changed")
        expect_layer(output.value["state"], 3 * weight, 3 * bias, [other])
        if name not in output.value["plain"]:
            raise Mismatch(f"layer.{name} should be a plain nn.Parameter that requires grad")

    scenario = Recipe("scaled_then_changed", (["weight", "bias"], 3.0))
    return Judged(Call("make_permanent_", (Recipe("module", spec), name), scenario=scenario), check)
