"""How the worker performs a judged call that is more than calling a function on tensors: a class (an
optimizer, a module, a parametrization) or a function that returns or changes objects (a distribution, a
model, a file) is put through a small scenario that turns what happened into data.

Each scenario is ``scenario(function, args, kwargs, *params) -> data``: ``function`` is the kata's function
or class, ``args`` and ``kwargs`` the call's built arguments (``Recipe``s already built), ``params`` the
scenario's own (``Call(scenario=Recipe(name, params))``). Its docstring says what it does with them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Callable, Iterator

import torch
from torch import nn
from torch.nn.utils import parametrize


def optimizer_steps(optimizer: type, args: list, kwargs: dict, groups: list[dict], steps: list) -> list[dict]:
    """``optimizer(param groups, *args, **kwargs)`` on fresh leaf copies of the groups' params (each group a
    dict of hyperparameters and "params"), then one ``step`` per entry of ``steps``: ("set", grads) sets
    each param's .grad (None: no gradient) and calls step(); ("closure", grads) calls step(closure) with a
    closure that clears the grads and calls backward on sum(p * grad), so each gets that grad. After each
    step: every param, what a view of it taken before the first step sees, its grad and its momentum buffer
    (None without one), and what step returned."""
    leaves = [[p.detach().clone().requires_grad_() for p in group["params"]] for group in groups]
    made = optimizer([dict(group, params=params) for group, params in zip(groups, leaves)], *args, **kwargs)
    params = [p for group in leaves for p in group]
    views = [p.detach() for p in params]
    after = []
    for how, grads in steps:
        if how == "set":
            for p, grad in zip(params, grads):
                p.grad = None if grad is None else grad.clone()
            returned = made.step()
        else:
            def closure():
                made.zero_grad()
                loss = sum((p * grad).sum() for p, grad in zip(params, grads) if grad is not None)
                loss.backward()
                return loss

            returned = made.step(closure)
        after.append({"params": _copies(params), "views": _copies(views), "grads": _copies(p.grad for p in params),
                      "buffers": _copies(made.state.get(p, {}).get("momentum_buffer") for p in params),
                      "returned": returned})
    return after


def _copies(tensors) -> list:
    """Copies of tensors as they are now (None stays None), so that later steps do not change them."""
    return [None if t is None else t.detach().clone() for t in tensors]


def named_param_groups(function: Callable, args: list, kwargs: dict) -> list:
    """The param groups ``function(model, ...)`` returns (model = args[0]), each param named as in
    ``model.named_parameters()`` (one that is no parameter of the model says so)."""
    names = {id(p): name for name, p in args[0].named_parameters()}
    return [{key: ([names.get(id(p), "<not a parameter of the model>") for p in value] if key == "params" else value)
             for key, value in group.items()} for group in function(*args, **kwargs)]


def fill_in_place(function: Callable, args: list, kwargs: dict, as_parameter: bool = False, times: int = 1) -> dict:
    """``function(tensor, ...)`` ``times`` times in a row (the same arguments: a generator moves on) on a copy
    of args[0] (an nn.Parameter if ``as_parameter``): the tensor after each call, what a view of it taken
    before the first call sees after the last, and whether every call returned that very tensor."""
    tensor = args[0].clone()
    tensor = nn.Parameter(tensor) if as_parameter else tensor
    alias = tensor.detach()
    fills, returned_it = [], True
    for _ in range(times):
        returned_it &= function(tensor, *args[1:], **kwargs) is tensor
        fills += _copies([tensor])
    return {"returned_it": returned_it, "fills": fills, "alias": alias}


def apply_to_model(function: Callable, args: list, kwargs: dict) -> dict:
    """``model.apply`` with ``function(module, *args[1:], **kwargs)`` (model = args[0]): the parameters
    afterwards, and the names of those replaced by new objects."""
    model = args[0]
    before = dict(model.named_parameters())
    model.apply(lambda module: function(module, *args[1:], **kwargs))
    after = dict(model.named_parameters())
    return {"parameters": after, "replaced": [name for name in before if after.get(name) is not before[name]]}


def forward(module_class: type, args: list, kwargs: dict):
    """The module built from every argument but the last, applied to the last."""
    return module_class(*args[:-1], **kwargs)(args[-1])


def module_state(module_class: type, args: list, kwargs: dict) -> dict:
    """The module built from the arguments: its buffers, the names of its parameters, its state_dict."""
    built = module_class(*args, **kwargs)
    return {"buffers": dict(built.named_buffers()), "parameters": [name for name, _ in built.named_parameters()],
            "state_dict": dict(built.state_dict())}


def _layer_state(layer: nn.Module) -> dict:
    weight, bias = _copies([layer.weight, layer.bias])
    return {"weight": weight, "bias": bias, "parameters": sorted(name for name, _ in layer.named_parameters()),
            "parametrized": sorted(layer.parametrizations) if parametrize.is_parametrized(layer) else []}


def _train(layer: nn.Module, x: torch.Tensor, target: torch.Tensor, steps: int) -> None:
    """SGD with momentum 0.9 and weight decay 0.01, written out (torch.optim's first step imports torch._dynamo,
    seconds of every run), on the squared error of layer(x)."""
    params = list(layer.parameters())
    momenta = [torch.zeros_like(p) for p in params]
    for _ in range(steps):
        grads = torch.autograd.grad(((layer(x) - target) ** 2).mean(), params)
        with torch.no_grad():
            for p, momentum, grad in zip(params, momenta, grads):
                momentum.mul_(0.9).add_(grad + 0.01 * p)
                p.sub_(0.1 * momentum)


def changed_and_trained(function: Callable, args: list, kwargs: dict, x: torch.Tensor, target: torch.Tensor,
                        steps: int) -> dict:
    """``function(layer, ...)`` (layer = args[0], a Linear), then ``steps`` steps of training: the layer's
    weight, bias, parameter names and parametrized tensors after the call and after training, and whether
    the call returned the layer itself."""
    layer = args[0]
    returned = function(*args, **kwargs)
    changed = _layer_state(layer)
    _train(layer, x, target, steps)
    return {"returned_it": returned is layer, "changed": changed, "trained": _layer_state(layer)}


def parametrized_weight(parametrization: type, args: list, kwargs: dict, assigned: torch.Tensor, x: torch.Tensor,
                        target: torch.Tensor, steps: int) -> dict:
    """``parametrization(**kwargs)`` registered on the weight of the layer args[0]: the weight as read after
    registering, after assigning ``assigned`` to it, and after ``steps`` steps of training."""
    layer = args[0]
    parametrize.register_parametrization(layer, "weight", parametrization(**kwargs))
    registered = _copies([layer.weight])
    layer.weight = assigned.clone()  # a parametrization may keep the very tensor, and training changes it
    read_back = _copies([layer.weight])
    _train(layer, x, target, steps)
    return {"registered": registered[0], "assigned": read_back[0], "trained": layer.weight}


class Scaled(nn.Module):
    """A parametrization of the judge's own: the tensor times a factor."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.factor * X


def scaled_then_changed(function: Callable, args: list, kwargs: dict, names: list[str], factor: float) -> dict:
    """``Scaled(factor)`` registered on each of the layer's (args[0]) tensors ``names``, then
    ``function(layer, ...)``: the layer's state, which parameters are plain trainable nn.Parameters, and
    whether the call returned the layer."""
    layer = args[0]
    for name in names:
        parametrize.register_parametrization(layer, name, Scaled(factor))
    returned = function(*args, **kwargs)
    plain = sorted(name for name, p in layer.named_parameters() if type(p) is nn.Parameter and p.requires_grad)
    return {"returned_it": returned is layer, "state": _layer_state(layer), "plain": plain}


def distribution(function: Callable, args: list, kwargs: dict, method: str, *method_args):
    """``function(...)`` returns a distribution: its ``method(*method_args)`` (sample, rsample, log_prob)."""
    return getattr(function(*args, **kwargs), method)(*method_args)


def transformed_normal(transform: type, args: list, kwargs: dict, x: torch.Tensor, y: torch.Tensor,
                       mu: torch.Tensor, sigma: torch.Tensor, samples: int) -> dict:
    """``transform(*args, **kwargs)``, a Transform class: what it declares (the names of its domain's and
    codomain's constraint types, bijective, sign), its map of x, its inverse of y, its log-Jacobian at x,
    and TransformedDistribution(Normal(mu, sigma), it)'s log_prob at y and ``samples`` rsamples."""
    made = transform(*args, **kwargs)
    mapped = made(x)
    transformed = torch.distributions.TransformedDistribution(torch.distributions.Normal(mu, sigma), made)
    return {"declared": {"domain": type(made.domain).__name__, "codomain": type(made.codomain).__name__,
                         "bijective": made.bijective, "sign": made.sign},
            "forward": mapped, "inverse": made.inv(y), "log_abs_det_jacobian": made.log_abs_det_jacobian(x, mapped),
            "log_prob": transformed.log_prob(y), "samples": transformed.rsample((samples,))}


def extreme_uniforms(function: Callable, args: list, kwargs: dict):
    """The call while every uniform source (torch.rand, torch.rand_like, Tensor.uniform_) puts its two
    extremes, 0 and the largest float below 1, in the first two elements of what it draws."""
    rand, rand_like, uniform_ = torch.rand, torch.rand_like, torch.Tensor.uniform_
    with contextlib.ExitStack() as stack:
        stack.enter_context(_swapped(torch, "rand", lambda *a, **k: with_extremes(rand(*a, **k))))
        stack.enter_context(_swapped(torch, "rand_like", lambda *a, **k: with_extremes(rand_like(*a, **k))))
        stack.enter_context(_swapped(torch.Tensor, "uniform_", lambda self, low=0.0, high=1.0, **k: with_extremes(
            uniform_(self, low, high, **k), low, high)))
        return function(*args, **kwargs)


def with_extremes(out: torch.Tensor, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    """``out``, a uniform draw on [low, high), with its first two elements set to the extremes: low,
    and the largest float below high."""
    flat = out.detach().view(-1)
    flat[:2] = torch.tensor([low, high], dtype=out.dtype, device=out.device)[: flat.numel()]
    flat[1:2] = torch.nextafter(flat[1:2], torch.full_like(flat[1:2], low))
    return out


@contextlib.contextmanager
def _swapped(owner, name: str, replacement) -> Iterator[None]:
    """owner.name replaced for the duration, then exactly as it was (an inherited attribute, such as
    Tensor.uniform_ from TensorBase, is unshadowed rather than copied onto owner)."""
    missing = object()
    own = vars(owner).get(name, missing)
    setattr(owner, name, replacement)
    try:
        yield
    finally:
        if own is missing:
            delattr(owner, name)
        else:
            setattr(owner, name, own)


def layout(function: Callable, args: list, kwargs: dict) -> dict:
    """The result, whether it is contiguous, and whether it lives in the first argument's memory (a view
    of it, no copy): what sending it as data would not show."""
    result = function(*args, **kwargs)
    tensor = isinstance(result, torch.Tensor)
    return {"result": result, "contiguous": tensor and result.is_contiguous(),
            "shares_storage": tensor and result.untyped_storage().data_ptr() == args[0].untyped_storage().data_ptr()}


def with_grads(function: Callable, args: list, kwargs: dict, grads: dict) -> dict:
    """Set the .grad of each parameter of the module args[0] by name (a name not in ``grads``: None), call:
    the result, and the grads afterwards."""
    module = args[0]
    for name, p in module.named_parameters():
        p.grad = None if grads.get(name) is None else grads[name].clone()
    result = function(*args, **kwargs)
    return {"result": result, "grads": {name: p.grad for name, p in module.named_parameters()}}


def saved_file(function: Callable, args: list, kwargs: dict) -> dict:
    """``function(*args, path)`` into a fresh folder: the size of the file at path, and what it loads as."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "saved.pt")
        function(*args, path, **kwargs)
        return {"bytes": os.path.getsize(path), "loaded": torch.load(path, weights_only=True)}


SCENARIOS: dict[str, Callable[..., object]] = {
    scenario.__name__: scenario for scenario in (
        optimizer_steps, named_param_groups, fill_in_place, apply_to_model, forward, module_state,
        changed_and_trained, parametrized_weight, scaled_then_changed, distribution, transformed_normal,
        extreme_uniforms, layout, with_grads, saved_file,
    )
}
