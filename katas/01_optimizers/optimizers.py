"""Kata 01: optimizers. Replace each `raise NotImplementedError` with your solution.

Read the lesson first: README.md in this folder (по-русски: README.ru.md).
Then check yourself with: pytest katas/01_optimizers
"""

from typing import Callable

import torch


def rosenbrock(x: torch.Tensor, a: float = 1.0, b: float = 100.0) -> torch.Tensor:
    """The Rosenbrock function, summed over the last dim: (..., n) -> (...).

        f(x) = sum over i < n - 1 of (a - x_i)^2 + b (x_{i+1} - x_i^2)^2

    Its minimum is 0, at x = (1, ..., 1) for the default a = 1, at the bottom of a long curved
    valley that is easy to find and slow to follow: the classic test problem for optimizers.
    Lesson: slices of the last dim (x[..., :-1], x[..., 1:]) pair every x_i with x_{i+1} at once,
    for one point or a whole batch of them.

    Example:
        >>> rosenbrock(torch.tensor([1., 1.]))
        tensor(0.)
        >>> rosenbrock(torch.zeros(4, 3)).shape
        torch.Size([4])

    Raises ValueError naming x's shape if it has no last dim of at least 2 entries.
    """
    raise NotImplementedError


def gradient_descent(
    f: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, lr: float, steps: int
) -> tuple[torch.Tensor, list[float]]:
    """Plain gradient descent, written by hand: x <- x - lr * grad f(x), `steps` times.

    `f` maps a tensor of x0's shape to a 0-dim tensor. Get the gradient from autograd
    (`loss.backward()` or `torch.autograd.grad`, either), and update x without recording the update.

    Returns (x, values):
        x       the final point, x_steps: a new tensor of x0's shape, dtype and device, detached
                (requires_grad False). x0 itself is left untouched.
        values  a list of `steps` Python floats, values[i] = f(x_i), the loss at the point that
                update i starts from (so values[0] == f(x0)).

    Lesson: the loop inside every optimizer: evaluate, differentiate, step under no_grad, and
    clear the gradient before the next backward (autograd accumulates into .grad).

    Example:
        >>> x, values = gradient_descent(lambda x: (x**2).sum(), torch.tensor([1.]), lr=0.25, steps=2)
        >>> x, values
        (tensor([0.2500]), [1.0, 0.25])

    Off-limits: everything in torch.optim. This function is the optimizer.
    """
    raise NotImplementedError


class Signum(torch.optim.Optimizer):
    """SignSGD with momentum (Bernstein et al., 2018): every coordinate moves by exactly lr.

    Signum(params, lr=1e-3, momentum=0.9, weight_decay=0.0). For each param group, and each param
    p in it that has a gradient:

        g = p.grad + weight_decay * p
        momentum > 0:   m = momentum * m + (1 - momentum) * g     (m starts at zeros)
                        p = p - lr * sign(m)
        momentum == 0:  p = p - lr * sign(g)                      (signSGD: no buffer at all)

    m lives in self.state[p]["momentum_buffer"], so state_dict() saves it and load_state_dict()
    restores it. Every hyperparameter is read from the param group, never from the constructor's
    arguments: groups may differ, add_param_group adds more, and LR schedulers rewrite group["lr"].

    Example:
        >>> p = torch.nn.Parameter(torch.tensor([1., -1.]))
        >>> p.grad = torch.tensor([3., -0.5])
        >>> Signum([p], lr=0.1, momentum=0.0).step()
        >>> p
        Parameter containing:
        tensor([ 0.9000, -0.9000], requires_grad=True)

    Raises ValueError naming the argument for lr < 0, momentum outside [0, 1), weight_decay < 0.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.9, weight_decay: float = 0.0):
        """Check the hyperparameters, then hand params and defaults to torch.optim.Optimizer.

        Lesson: Optimizer.__init__(params, defaults) builds self.param_groups (each group gets
        every default it does not set itself) and self.state; store nothing else on self.
        """
        raise NotImplementedError

    def step(self, closure=None):
        """One update of every param that has a gradient; returns closure() (None without one).

        The closure re-evaluates the loss and calls backward(), so it must run with grad enabled
        even though the update itself must not be recorded by autograd. Params whose .grad is None
        are skipped (no update, no state). Each param is updated in place (its memory stays the
        same); p.grad is only read, never changed.
        """
        raise NotImplementedError


def decay_param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Split a model's trainable params into a group with weight decay and one without.

    Returns
        [{"params": [...params with ndim >= 2...], "weight_decay": weight_decay},
         {"params": [...params with ndim < 2...],  "weight_decay": 0.0}]
    ready for any optimizer, e.g. torch.optim.AdamW(decay_param_groups(model, 0.1), lr=1e-3).

    Matrices and conv kernels (ndim >= 2) are decayed; biases, norm-layer scales and other 1-D or
    0-D params are not. Only params that require grad are listed; each param appears exactly once
    even when modules share it (tied weights); order within each list as in model.parameters().
    The params are the model's own Parameter objects, not copies.

    Lesson: param groups give different params different hyperparameters in one optimizer.

    Example:
        >>> groups = decay_param_groups(torch.nn.Linear(3, 2), 0.1)
        >>> [[tuple(p.shape) for p in g["params"]] for g in groups], [g["weight_decay"] for g in groups]
        ([[(2, 3)], [(2,)]], [0.1, 0.0])
    """
    raise NotImplementedError


def lr_param_groups(model: torch.nn.Module, lr: float, lr_by_prefix: dict[str, float]) -> list[dict]:
    """Param groups with a learning rate per name prefix, ready for any optimizer, e.g.
    torch.optim.SGD(lr_param_groups(model, 0.1, {"enc": 1e-3}), lr=0.1).

    Each parameter that requires grad, under its name in model.named_parameters(), joins the group
    of the longest prefix in lr_by_prefix that matches its name whole or up to a "." ("enc"
    matches "enc" and "enc.0.weight", not "encoder.weight"); a parameter that no prefix matches
    joins a group with `lr`. Each group is {"params": [...], "lr": ...}: one per prefix and one for
    the rest, never an empty one, in the order of their first parameter; the params in
    named_parameters() order, each exactly once (a tied weight once, under its first name), the
    model's own Parameter objects.

    Lesson: param groups give the parts of one model their own hyperparameters in one optimizer.

    Example:
        >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 1))
        >>> [(len(group["params"]), group["lr"]) for group in lr_param_groups(model, 0.1, {"1": 0.01})]
        [(2, 0.1), (2, 0.01)]

    Raises ValueError naming the prefix for a prefix that matches no name in named_parameters()
    (frozen parameters' names count), e.g. "lr_param_groups: prefix 'encoder' in lr_by_prefix
    matches no parameter", and naming the lr for any lr < 0.
    """
    raise NotImplementedError


def minimize_lbfgs(
    f: Callable[[torch.Tensor], torch.Tensor], x0: torch.Tensor, steps: int = 20, lr: float = 1.0
) -> torch.Tensor:
    """Minimize f from x0 with torch.optim.LBFGS(lr=lr), every other option at its default.

    Calls optimizer.step(closure) `steps` times; the closure clears the gradient, evaluates
    f(x), calls backward() and returns the loss. Returns the final point: a new, detached tensor
    of x0's shape, dtype and device. x0 itself is left untouched.

    Lesson: one LBFGS step runs up to max_iter=20 inner iterations (at most max_eval=25 loss
    evaluations; with the default line_search_fn=None each moves a fixed lr along its direction,
    "strong_wolfe" would add a line search), so it takes a closure instead of gradients computed
    beforehand.

    Example:
        >>> minimize_lbfgs(lambda x: ((x - 3) ** 2).sum(), torch.zeros(2))
        tensor([3., 3.])
    """
    raise NotImplementedError
