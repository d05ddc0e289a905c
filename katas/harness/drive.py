"""Performing a judged ``Call`` on a kata module: data in, data out.

The worker of a grading run (and the student's own pytest, in-process) builds the call's arguments
(``Recipe`` arguments from ``builders.BUILDERS``), calls the kata function or puts it through the call's
scenario (``scenarios.SCENARIOS``), takes the gradients asked for, and returns an ``Output`` whose value
holds only data: tensors (detached, on the CPU), numbers, strings, None, and lists, tuples and dicts of
them. Anything else is named, not sent.
"""

from __future__ import annotations

import torch

from .builders import BUILDERS
from .checks import gradients
from .judge import Call, Output, Recipe
from .scenarios import SCENARIOS


def build(value):
    return BUILDERS[value.name](*value.params) if isinstance(value, Recipe) else value


def perform(call: Call, module, reraise: bool = False) -> Output:
    """Make the call on ``module`` (a kata module, or the harness's proxy of one). ``reraise``: let the
    function's exception through (the student's own run reports it); else it becomes the output's
    error."""
    function = getattr(module, call.function)
    scenario = None if call.scenario is None else SCENARIOS[call.scenario.name]
    try:
        values, grads = [], []
        for _ in range(call.repeat):
            args = [build(a) for a in call.args]
            for position in call.grads:
                args[position] = args[position].detach().clone().requires_grad_()
            kwargs = {name: build(value) for name, value in call.kwargs.items()}
            value = (function(*args, **kwargs) if scenario is None
                     else scenario(function, args, kwargs, *call.scenario.params))
            if call.grads:
                grads = _grads(value, [args[p] for p in call.grads], call.cotangent)
            values.append(to_data(value))
    except Exception as error:
        if reraise:
            raise
        return Output(error=f"{type(error).__name__}: {error}"[:500])
    return Output(values if call.repeat > 1 else values[0], grads)


def _grads(value, inputs: list[torch.Tensor], cotangent: torch.Tensor | None) -> list:
    if not isinstance(value, torch.Tensor):
        return [None] * len(inputs)
    upstream = torch.ones_like(value) if cotangent is None else cotangent.to(value.device, value.dtype)
    return [None if g is None else to_data(g) for g in gradients(value, inputs, upstream)]


def to_data(value, depth: int = 0):
    """``value`` as data only (see the module docstring)."""
    if depth > 8:
        return {"object": "nested too deep"}
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone().as_subclass(torch.Tensor)  # a plain tensor, whatever its class
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, torch.Size):
        return tuple(int(size) for size in value)
    if type(value) in (list, tuple):
        return type(value)(to_data(item, depth + 1) for item in value)
    if type(value) is dict and all(type(key) is str for key in value):
        return {key: to_data(item, depth + 1) for key, item in value.items()}
    return {"object": type(value).__name__}
