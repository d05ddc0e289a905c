"""The judge's cases for kata 04: fans against PyTorch's own rule; orthogonal_ by what every right draw
has (orthonormal rows or columns times gain, filled in place), replayed with a generator, and Haar
distributed over many draws (never against one random stream); init_weights on a drawn model with every
module type it handles and some it must leave alone.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/04_init` runs the same cases here, on a fresh draw each time.
"""

import math

import torch
from torch import nn

from katas.harness.builders import model
from katas.harness.judge import (
    Call, Judged, Mismatch, Output, Recipe, expect_data, expect_returned, expect_returned_data, expect_structure,
    expect_tensor, expect_within, judged,
)

CASES = []


# fans ---------------------------------------------------------------------------------------------

@judged("fans", CASES)
def layer_weights(draw):
    """A conv kernel of 1 to 3 dims (its receptive field more than 1), with out != in."""
    out_features = draw.size(1, 6)
    shape = (out_features, out_features + draw.size(1, 3)) + tuple(draw.size(2, 4) for _ in range(draw.size(1, 3)))
    weight = torch.zeros(shape)
    expected = nn.init._calculate_fan_in_and_fan_out(weight)
    return Judged(Call("fans", (weight,)), lambda output: expect_returned_data(output, expected))


# orthogonal_ --------------------------------------------------------------------------------------

def expect_orthonormal(weight, shape: tuple[int, ...], gain: float, what: str) -> None:
    """W W^T = gain^2 I if rows <= cols, else W^T W = gain^2 I, W the tensor as (rows, cols), to float64
    precision."""
    expect_structure(weight, shape, torch.float64, what=what)
    flat = weight.reshape(shape[0], -1)
    gram = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    expect_tensor(gram, gain ** 2 * torch.eye(gram.shape[0], dtype=torch.float64), rtol=0.0, atol=1e-10 * gain ** 2,
                  what=f"W W^T (or W^T W for a tall W) of {what}, W of shape {shape} as a matrix")


def kernel_shape(draw) -> tuple[int, ...]:
    """A matrix (tall, wide or square) or a conv kernel (rows, *trailing dims), never a single number
    (whose only orthogonal values are +-1: two draws may well agree)."""
    return (draw.size(2, 6),) + tuple(draw.size(1, 4) for _ in range(draw.size(1, 3)))


def fills(output, times: int) -> list:
    expect_returned(output)
    if not output.value["returned_it"]:
        raise Mismatch("returned another object than the tensor it filled (return the tensor itself)")
    if len(output.value["fills"]) != times:
        raise Mismatch(f"the scenario sent {output.value!r:.100}")
    return output.value["fills"]


@judged("orthogonal_", CASES)
def parameter_filled_in_place(draw):
    """An nn.Parameter that requires grad, gain drawn: filled in place (a view taken before sees it)."""
    shape, gain = kernel_shape(draw), draw.number(0.5, 3.0)

    def check(output):
        (filled,) = fills(output, 1)
        expect_orthonormal(filled, shape, gain, f"the filled tensor (gain={gain:.3g})")
        expect_tensor(output.value["alias"], filled, rtol=0, atol=0,
                      what="a view of the tensor taken before the call (fill the tensor's own memory)")

    call = Call("orthogonal_", (torch.zeros(shape, dtype=torch.float64),), {"gain": gain},
                scenario=Recipe("fill_in_place", (True,)))
    return Judged(call, check)


@judged("orthogonal_", CASES)
def replayed_with_a_generator(draw):
    """Twice, each time with a fresh generator seeded alike and used for two calls: the same two matrices
    both times, and two different ones from one generator."""
    shape = kernel_shape(draw)
    generator = Recipe("generator", (draw.fresh_seed(),))

    def check(output):
        expect_returned(output)
        runs = [fills(Output(value=run), 2) for run in output.value]
        for filled in runs[0]:
            expect_orthonormal(filled, shape, 1.0, "the filled tensor (default gain)")
        if not torch.equal(runs[0][0], runs[1][0]):
            raise Mismatch("two generators seeded alike gave different matrices: draw every random number from "
                           "the generator")
        if torch.equal(runs[0][0], runs[0][1]):
            raise Mismatch("two calls with the same generator gave the same matrix: drawing moves the generator on")

    call = Call("orthogonal_", (torch.zeros(shape, dtype=torch.float64),), {"generator": generator},
                scenario=Recipe("fill_in_place", (False, 2)), repeat=2)
    return Judged(call, check)


@judged("orthogonal_", CASES)
def haar_distributed(draw):
    """Every entry of a Haar-distributed (semi-)orthogonal matrix has mean 0 and variance 1 / max(rows,
    cols): over 200 draws, each mean within Z standard errors of 0. Without the sign correction, Q's
    signs follow LAPACK's fixed rule, and some entries average far from 0."""
    shape, draws = (draw.size(2, 4), draw.size(2, 4)), 200

    def check(output):
        expect_returned(output)
        for matrix in output.value:
            expect_structure(matrix, shape, torch.float64)
        means = torch.stack(output.value).mean(dim=0)
        expect_within(means, torch.zeros(shape), torch.full(shape, (draws * max(shape)) ** -0.5),
                      what=f"the mean of each entry over {draws} draws of a {shape} matrix")

    return Judged(Call("orthogonal_", (torch.zeros(shape, dtype=torch.float64),), repeat=draws), check)


@judged("orthogonal_", CASES)
def empty_tensor(draw):
    """Nothing to fill: the same tensor back, unchanged."""
    shape = draw.choice([(0, draw.size(1, 4)), (0, draw.size(1, 3), draw.size(1, 3))])

    def check(output):
        (filled,) = fills(output, 1)
        expect_tensor(filled, torch.zeros(shape, dtype=torch.float64))

    empty = torch.zeros(shape, dtype=torch.float64)
    return Judged(Call("orthogonal_", (empty,), scenario=Recipe("fill_in_place")), check)


# init_weights -------------------------------------------------------------------------------------

ORTHOGONAL, NORM, UNTOUCHED = "orthogonal", "norm", "untouched"


def every_kind_of_module(draw) -> dict[str, tuple]:
    """name -> (what init_weights does to it, (kind, args, kwargs)), sizes drawn."""
    n = lambda: draw.size(2, 5)  # noqa: E731
    return {
        "linear": (ORTHOGONAL, ("Linear", (n(), n()), {})),
        "linear_without_bias": (ORTHOGONAL, ("Linear", (n(), n()), {"bias": False})),
        "dense": (ORTHOGONAL, ("Dense", (n(), n()), {})),  # a subclass of Linear
        "conv1d": (ORTHOGONAL, ("Conv1d", (n(), n(), 2), {})),
        "conv2d": (ORTHOGONAL, ("Conv2d", (n(), n(), 2), {})),
        "conv3d": (ORTHOGONAL, ("Conv3d", (n(), n(), 2), {})),
        "batchnorm1d": (NORM, ("BatchNorm1d", (n(),), {})),
        "batchnorm2d": (NORM, ("BatchNorm2d", (n(),), {})),
        "batchnorm3d": (NORM, ("BatchNorm3d", (n(),), {})),
        "norm": (NORM, ("Norm", (n(),), {})),  # a subclass of BatchNorm1d
        "layernorm": (NORM, ("LayerNorm", (n(),), {})),
        "layernorm_without_bias": (NORM, ("LayerNorm", (n(),), {"bias": False})),
        "groupnorm": (NORM, ("GroupNorm", (2, 2 * n()), {})),
        "convtranspose2d": (UNTOUCHED, ("ConvTranspose2d", (n(), n(), 2), {})),
        "instancenorm1d": (UNTOUCHED, ("InstanceNorm1d", (n(),), {"affine": True})),
        "embedding": (UNTOUCHED, ("Embedding", (n(), n()), {})),
    }


def initialized_model(draw, modules: dict[str, tuple], gain: float | None) -> Judged:
    """model.apply(init_weights) (with ``gain`` passed on, None: the default) on a model of ``modules`` in
    drawn order, every parameter drawn from N(0, 1) first."""
    order = draw.shuffled(list(modules))
    spec = ([modules[name][1] for name in order], [], [], draw.fresh_seed())
    before = dict(model(*spec).named_parameters())
    expected_gain = math.sqrt(2.0) if gain is None else gain

    def check(output):
        expect_returned(output)
        parameters, replaced = output.value["parameters"], output.value["replaced"]
        if replaced:
            raise Mismatch(f"replaced the parameters {replaced} with new objects: fill them in place")
        expect_data(sorted(parameters), sorted(before), what="the model's parameters")
        for position, name in enumerate(order):
            what, (kind, _, _) = modules[name]
            for key in ("weight", "bias"):
                if f"{position}.{key}" not in before:
                    continue
                got, start = parameters[f"{position}.{key}"], before[f"{position}.{key}"].detach()
                label = f"{name}.{key} ({kind})"
                if what == UNTOUCHED:
                    expect_tensor(got, start, rtol=0, atol=0, what=f"{label}, which init_weights leaves alone")
                elif what == NORM:
                    expect_tensor(got, torch.ones_like(start) if key == "weight" else torch.zeros_like(start),
                                  rtol=0, atol=0, what=label)
                elif key == "bias":
                    expect_tensor(got, torch.zeros_like(start), rtol=0, atol=0, what=label)
                else:
                    expect_orthonormal(got, tuple(start.shape), expected_gain, f"{label} (gain {expected_gain:.3g})")

    kwargs = {} if gain is None else {"gain": gain}
    return Judged(Call("init_weights", (Recipe("model", spec),), kwargs, scenario=Recipe("apply_to_model")), check)


@judged("init_weights", CASES)
def every_kind_of_layer(draw):
    return initialized_model(draw, every_kind_of_module(draw), None)


@judged("init_weights", CASES)
def gain_passed_on(draw):
    kinds = every_kind_of_module(draw)
    return initialized_model(draw, {name: kinds[name] for name in ("linear", "conv2d", "layernorm")},
                             draw.number(0.3, 3.0))
