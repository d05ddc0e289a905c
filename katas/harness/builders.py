"""What a judged call's ``Recipe`` arguments become: functions, models, generators and custom autograd
Functions, each built from data (tensors, numbers, names) by a small named builder in ``BUILDERS``.

The worker builds them for the kata's code; the judge builds the same ones where its checks need to
know them (a model's parameter names and starting values), since a recipe builds the same object
wherever it runs.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed))


# Functions of a tensor x, for the katas that take one (gradient descent, LBFGS, forward-mode AD). None
# adds or multiplies x elementwise with a constant tensor in forward mode where it can be helped: PyTorch
# runs those through a Python reference that imports torch._dynamo on first use, seconds of every run.

def quadratic(w: torch.Tensor, c: torch.Tensor) -> Callable:
    """f(x) = sum(w * (x - c) ** 2): gradient descent on it has a closed form."""
    return lambda x: (w * (x - c) ** 2).sum()


def quartic(w: torch.Tensor, c: torch.Tensor) -> Callable:
    """f(x) = sum(w * (x - c) ** 2 + (x - c) ** 4): convex and smooth, but no quadratic that LBFGS solves
    in one step."""
    return lambda x: (w * (x - c) ** 2 + (x - c) ** 4).sum()


def tanh_affine(w: torch.Tensor) -> Callable:
    """f(x) = tanh(w @ x)."""
    return lambda x: torch.tanh(w @ x)


def tanh_cumsum() -> Callable:
    """f(x) = tanh(x).cumsum(-1): every output depends on several inputs of its row."""
    return lambda x: torch.tanh(x).cumsum(dim=-1)


def logsumexp() -> Callable:
    """f(x) = log(sum(exp(x))) over every dim: a scalar."""
    return lambda x: x.logsumexp(dim=tuple(range(x.ndim)))


def constant(c: torch.Tensor) -> Callable:
    """f(x) = c, whatever x is: its derivatives are zero."""
    return lambda x: c


def summed(name: str, *params) -> Callable:
    """The sum of another recipe's function: a scalar function."""
    inner = BUILDERS[name](*params)
    return lambda x: inner(x).sum()


# Custom autograd.Functions in the setup_context style, with a jvp, so that torch.func.jvp and forward_ad
# dual tensors both work on them (generate_vmap_rule: torch.vmap too). Some have a wrong backward and a
# right jvp: forward mode gets them right, reverse mode does not.

class Cube(torch.autograd.Function):
    """x ** 3, with a right backward and jvp."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)
        ctx.save_for_forward(x)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * grad

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * tangent


class CubeBackwardMissesSquare(Cube):
    """x ** 3 whose backward forgot the square: 3 x g instead of 3 x^2 g. Its jvp is right."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 3 * x * grad


class CubeBackwardOffByAThousandth(Cube):
    """x ** 3 whose backward is 0.1% too large: wrong at rtol 1e-4, right enough at rtol 1e-2."""

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return 1.001 * 3 * x ** 2 * grad


class MatVec(torch.autograd.Function):
    """a @ x for a fixed matrix a (no gradient to a), with a right backward and jvp."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x, a):
        return a @ x

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, a = inputs
        ctx.save_for_backward(a)
        ctx.save_for_forward(a)

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return a.T @ grad, None

    @staticmethod
    def jvp(ctx, x_tangent, a_tangent):
        (a,) = ctx.saved_tensors
        return a @ x_tangent


class MatVecBackwardForgetsTranspose(MatVec):
    """a @ x whose backward computes a @ g instead of a.T @ g. Its jvp is right."""

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return a @ grad, None


class StraightThroughRound(torch.autograd.Function):
    """round(x), whose jvp and backward pass the tangent or gradient through unchanged: only automatic
    differentiation sees that derivative, a finite difference sees round's flat steps."""

    generate_vmap_rule = True

    @staticmethod
    def forward(x):
        return torch.round(x)

    @staticmethod
    def setup_context(ctx, inputs, output):
        pass

    @staticmethod
    def backward(ctx, grad):
        return grad

    @staticmethod
    def jvp(ctx, tangent):
        return tangent


CUBES = {"right": Cube, "misses_square": CubeBackwardMissesSquare, "off_by_a_thousandth": CubeBackwardOffByAThousandth}
MATVECS = {"right": MatVec, "forgets_transpose": MatVecBackwardForgetsTranspose}


def cube_function(backward: str) -> Callable:
    """x ** 3 as a custom Function whose backward is as named (its jvp is always right)."""
    return CUBES[backward].apply


def matvec_function(a: torch.Tensor, backward: str) -> Callable:
    """a @ x as a custom Function whose backward is as named (its jvp is always right)."""
    function = MATVECS[backward]
    return lambda x: function.apply(x, a)


def straight_through_round() -> Callable:
    return StraightThroughRound.apply


# Modules and models: layers by name, their parameters filled from a seeded generator, so that the judge
# and the worker build the very same model.

class Dense(nn.Linear):
    """A subclass of nn.Linear (as MultiheadAttention's out_proj is): still a Linear for isinstance."""


class Norm(nn.BatchNorm1d):
    """A subclass of nn.BatchNorm1d: still a BatchNorm1d for isinstance."""


class Scalar(nn.Module):
    """A module whose one parameter is 0-dim (a temperature, a scale)."""

    def __init__(self):
        super().__init__()
        self.value = nn.Parameter(torch.ones(()))


LAYERS = {kind: getattr(nn, kind) for kind in (
    "Linear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d",
    "LayerNorm", "GroupNorm", "InstanceNorm1d", "Embedding",
)} | {"Dense": Dense, "Norm": Norm, "Scalar": Scalar}


def module(kind: str, args: tuple = (), kwargs: dict | None = None, seed: int = 0,
           dtype: torch.dtype = torch.float64) -> nn.Module:
    """One layer, ``LAYERS[kind](*args, **kwargs)``, its parameters drawn from N(0, 1) with ``seed``."""
    return _scrambled(LAYERS[kind](*args, **(kwargs or {})).to(dtype), seed)


def model(layers: list, tied: list = (), frozen: list = (), seed: int = 0,
          dtype: torch.dtype = torch.float64) -> nn.Sequential:
    """An nn.Sequential of layers (kind, args, kwargs); ``tied``: (name, name of the parameter it becomes)
    pairs; ``frozen``: names of parameters that do not require grad. Parameters drawn from N(0, 1) with
    ``seed``."""
    built = nn.Sequential(*(LAYERS[kind](*args, **kwargs) for kind, args, kwargs in layers)).to(dtype)
    for name, source in tied:
        owner, attribute = name.rsplit(".", 1)
        setattr(built.get_submodule(owner), attribute, built.get_parameter(source))
    for name in frozen:
        built.get_parameter(name).requires_grad_(False)
    return _scrambled(built, seed)


def prefixed_model(seed: int = 0, dtype: torch.dtype = torch.float64) -> nn.Module:
    """A model whose parameter names share beginnings without sharing a prefix ("enc", "encoder_norm"):
    nested modules, a parameter of its own (named_parameters() lists it first), an embedding tied to an
    output layer and a frozen bias. Parameters drawn from N(0, 1) with ``seed``."""
    built = nn.Module()
    built.scale = nn.Parameter(torch.ones(()))
    built.enc = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4))
    built.encoder_norm = nn.LayerNorm(4)
    built.embed = nn.Embedding(5, 4)
    built.head = nn.Linear(4, 5, bias=False)
    built.head.weight = built.embed.weight
    built.dec = nn.Linear(4, 3)
    built.enc[2].bias.requires_grad_(False)
    return _scrambled(built.to(dtype), seed)


def nonfinite_loss(kind: str, seed: int = 0) -> torch.Tensor:
    """A scalar loss with its autograd graph, for first_nonfinite_backward, values drawn with ``seed``:
    "conv_nan", the lecture's Conv2d fed an image with a nan pixel; "sqrt_chain", sqrt of 2 x with a 0
    in x, times 3; "branches_log_later" and "branches_sqrt_later", sqrt(a) plus log(b) * 6 with a 0 in
    each, the named branch built second (backward runs it first); "finite", a small finite MLP."""
    randomness = generator(seed)

    def drawn(n: int, zero: bool = True) -> torch.Tensor:
        values = torch.rand(n, generator=randomness, dtype=torch.float64) + 0.5
        return (values * (torch.arange(n) > 0) if zero else values).requires_grad_()

    if kind == "conv_nan":
        images = torch.rand(2, 1, 5, 5, generator=randomness, dtype=torch.float64)
        images[0, 0, 2, 2] = float("nan")
        return _scrambled(nn.Conv2d(1, 2, 3).to(torch.float64), seed)(images).sum()
    if kind == "sqrt_chain":
        return (torch.sqrt(drawn(4) * 2) * 3).sum()
    if kind in ("branches_log_later", "branches_sqrt_later"):
        a, b = drawn(3), drawn(3)
        if kind == "branches_log_later":
            roots, logs = torch.sqrt(a), torch.log(b) * 6
        else:
            logs = torch.log(b) * 6
            roots = torch.sqrt(a)
        return roots.sum() + logs.sum()
    mlp = _scrambled(nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).to(torch.float64), seed)
    return mlp(torch.rand(5, 3, generator=randomness, dtype=torch.float64)).pow(2).mean()


def _scrambled(built: nn.Module, seed: int) -> nn.Module:
    randomness = generator(seed)
    with torch.no_grad():
        for parameter in built.parameters():
            parameter.normal_(generator=randomness)
    return built


BUILDERS: dict[str, Callable[..., object]] = {
    builder.__name__: builder for builder in (
        generator, quadratic, quartic, tanh_affine, tanh_cumsum, logsumexp, constant, summed, cube_function,
        matvec_function, straight_through_round, module, model, prefixed_model, nonfinite_loss,
    )
}
