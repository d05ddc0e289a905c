"""Tests for kata 01, optimizers. Run: pytest katas/01_optimizers (add -k signum for one function).

Signum is tested the way PyTorch tests its own optimizers (test/test_optim.py): the cases are
data (hyperparameters and what they mean), an independent float64 model of the update rule gives
the expected params and buffers, and each invariant (param groups, missing grads, closure,
state_dict round trip, ...) is one generic test. The harness adds the kata's rules to every call of
the functions (no torch.optim in gradient_descent, torch.optim.LBFGS in minimize_lbfgs, inputs
unchanged); Signum is a class, so its tests check those things themselves.
"""

import copy
from dataclasses import dataclass
from typing import Callable

import pytest
import torch
from torch import nn
from torch.testing import make_tensor

from katas.harness import (
    assert_grad, assert_tensor, cases, described, fail, gradients, implementation, judged_tests, raises_value_error,
    shape_words,
)

optimizers = implementation(__file__)


# A classic start for the 2-D Rosenbrock problem (loss 12.5; the minimum is at (1, 1)). The lecture's
# own run was 5-D, from 0.2 in every coordinate, with lr 3e-4.
START = (-1.5, 2.0)


def rosenbrock_loss(x: torch.Tensor) -> torch.Tensor:
    """The tests' own Rosenbrock (a = 1, b = 100), so the optimizer tests never depend on yours."""
    return ((1 - x[..., :-1]) ** 2 + 100 * (x[..., 1:] - x[..., :-1] ** 2) ** 2).sum(dim=-1)


# ----------------------------------------------------------------------------------------------
# rosenbrock


def rosenbrock_terms(x: torch.Tensor, a: float, b: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Value and gradient in float64, one coordinate at a time: a loop instead of slices."""
    x = x.double()
    n = x.shape[-1]
    value = torch.zeros(x.shape[:-1], dtype=torch.float64, device=x.device)
    grad = torch.zeros_like(x)
    for i in range(n - 1):
        xi, xj = x[..., i], x[..., i + 1]
        value += (a - xi) ** 2 + b * (xj - xi**2) ** 2
        grad[..., i] += -2 * (a - xi) - 4 * b * xi * (xj - xi**2)
        grad[..., i + 1] += 2 * b * (xj - xi**2)
    return value, grad


ROSENBROCK_SHAPES = [(2,), (5,), (3, 4), (2, 3, 5)]
ROSENBROCK_AB = [(1.0, 100.0), (2.0, 10.0)]


@pytest.mark.checks("rosenbrock")
def test_rosenbrock_values(device, dtype):
    for shape in ROSENBROCK_SHAPES:
        for a, b in ROSENBROCK_AB:
            x = make_tensor(shape, device=device, dtype=dtype, low=-2, high=2)
            expected, _ = rosenbrock_terms(x, a, b)
            assert_tensor(optimizers.rosenbrock(x, a=a, b=b), expected.to(dtype),
                          what=f"rosenbrock(x, a={a}, b={b}) for x of shape {shape}",
                          hint="the sum runs over consecutive pairs (x_i, x_{i+1}) of the LAST dim only, and every "
                          "leading dim is a batch of separate points: a sum over all dims, or over dim 0, mixes them")


@pytest.mark.checks("rosenbrock")
def test_rosenbrock_gradients(device, dtype):
    """Gradients flow to x, also for a non-contiguous batch."""
    x = make_tensor((3, 4), device=device, dtype=dtype, low=-2, high=2, noncontiguous=True, requires_grad=True)
    result = optimizers.rosenbrock(x)
    expected_value, expected_grad = rosenbrock_terms(x.detach(), 1.0, 100.0)
    assert_tensor(result, expected_value.to(dtype), what="rosenbrock(x) for a non-contiguous x")
    upstream = torch.randn_like(result)
    (grad,) = gradients(result, [x], upstream)
    assert_grad(grad, (expected_grad * upstream.double()[:, None]).to(dtype), name="x",
                hint="build the result from x with torch ops only (no .item(), no torch.tensor(...))")


@pytest.mark.checks("rosenbrock")
def test_rosenbrock_global_minimum(device, dtype):
    """Zero, with zero gradient, at x = (1, ..., 1) for a = 1, and at (a, a^2) for n = 2."""
    for x, a, b in [
        (torch.ones(3, 4, device=device, dtype=dtype), 1.0, 100.0),
        (torch.tensor([2.0, 4.0], device=device, dtype=dtype), 2.0, 7.0),
    ]:
        x.requires_grad_(True)
        result = optimizers.rosenbrock(x, a=a, b=b)
        assert_tensor(result, torch.zeros(x.shape[:-1], device=device, dtype=dtype), atol=0, rtol=0,
                      what=f"rosenbrock at its minimum {x.tolist()} (a={a}, b={b})")
        (grad,) = gradients(result, [x], torch.ones_like(result))
        assert_grad(grad, torch.zeros_like(x), name="x", atol=0, rtol=0,
                    hint="the minimum is a stationary point: every term is zero there")


@pytest.mark.parametrize("shape", [(1,), (4, 1), (0,), ()], ids=str)
@pytest.mark.checks("rosenbrock")
def test_rosenbrock_rejects_fewer_than_two_coordinates(shape, device):
    x = torch.zeros(shape, device=device)
    (whole,) = shape_words(shape)
    # x's shape, or what is wrong with it: its last dim and the size found there.
    keywords = [whole] if not shape else [(whole, "last dim", "coordinate", "shape[-1]", "size(-1)"),
                                          (whole, str(shape[-1]))]
    with raises_value_error(*keywords, case=f"x of shape {shape} (name x's shape, or its last dim, in the message)"):
        optimizers.rosenbrock(x)


# ----------------------------------------------------------------------------------------------
# gradient_descent


def quadratic(x0_shape, device, dtype):
    """f(x) = 1/2 sum a (x - c)^2, whose gradient descent iterates have a closed form:
    x_k = c + (1 - lr a)^k (x0 - c)."""
    a = torch.tensor([0.5, 1.0, 2.0, 3.0, 8.0, 1.5], device=device, dtype=dtype).reshape(x0_shape)
    c = torch.tensor([1.0, -2.0, 0.5, 0.0, 3.0, -1.0], device=device, dtype=dtype).reshape(x0_shape)
    x0 = torch.tensor([0.0, 1.0, -1.0, 2.0, 2.5, 4.0], device=device, dtype=dtype).reshape(x0_shape)

    def f(x):
        return 0.5 * (a * (x - c) ** 2).sum()

    def iterate(k, lr):
        return c.double() + (1 - lr * a.double()) ** k * (x0.double() - c.double())

    def value(k, lr):
        return 0.5 * (a.double() * (iterate(k, lr) - c.double()) ** 2).sum()

    return f, x0, iterate, value


@pytest.mark.parametrize("steps", [1, 4])
@pytest.mark.checks("gradient_descent")
def test_gradient_descent_iterates(steps, device, dtype):
    lr = 0.2  # 1 - lr * a is 0.9, ..., -0.6: some coordinates shrink, one overshoots and flips
    f, x0, iterate, value = quadratic((2, 3), device, dtype)
    x, values = optimizers.gradient_descent(f, x0, lr, steps)
    if not isinstance(x, torch.Tensor) or x.requires_grad:
        fail(f"x should be a tensor that does not require grad, got {described(x)}: the caller wants a plain "
             "point, not a piece of the graph that found it.")
    assert_tensor(x, iterate(steps, lr).to(dtype), what=f"x after {steps} steps (lr {lr})",
                  hint="each step moves x downhill by lr times the gradient, starting from x0's own values (its "
                  "dtype and device); a gradient left in .grad from the step before adds to the next one")
    if not isinstance(values, list) or len(values) != steps or any(type(v) is not float for v in values):
        fail(f"values should be a list of {steps} Python floats, one per step, got {described(values)} (a "
             "tensor's value as a Python number: Tensor.item).")
    expected = torch.stack([value(k, lr) for k in range(steps)])
    assert_tensor(torch.tensor(values, dtype=torch.float64, device=device), expected,
                  rtol=1e-5 if dtype == torch.float32 else 1e-7, what="values",
                  hint="values[i] is f(x_i), the loss at the point update i starts from: values[0] is "
                  "f(x0), recorded before the first update")


@pytest.mark.checks("gradient_descent")
def test_gradient_descent_leaves_x0_alone(device, dtype):
    """x0 that requires grad (a Parameter, say) gets no .grad and shares no memory with the result."""
    f, x0, iterate, _ = quadratic((6,), device, dtype)
    x0.requires_grad_(True)
    x, _ = optimizers.gradient_descent(f, x0, 0.1, 3)
    if x0.grad is not None:
        fail("x0.grad was filled in, so backward() ran through x0 itself: the optimization should work on a "
             "leaf tensor of its own, made from x0's values.")
    if x is x0 or x.untyped_storage().data_ptr() == x0.untyped_storage().data_ptr():
        fail("the result shares memory with x0: the caller's x0 must stay as it was, and the result be a tensor "
             "of its own.")
    assert_tensor(x, iterate(3, 0.1).to(dtype), what="x after 3 steps from an x0 that requires grad")


@pytest.mark.checks("gradient_descent")
def test_gradient_descent_records_no_update(device, dtype):
    """Every point f sees is a fresh leaf: the update x - lr * grad is not part of any graph."""
    f, x0, _, _ = quadratic((6,), device, dtype)
    histories = []

    def recording_f(x):
        histories.append(x.grad_fn)
        return f(x)

    optimizers.gradient_descent(recording_f, x0, 0.1, 3)
    recorded = [(step, type(fn).__name__) for step, fn in enumerate(histories) if fn is not None]
    if recorded:
        step, name = recorded[0]
        fail(f"f got an x with grad_fn {name} at step {step}: the update was recorded by autograd, so each "
             "step's graph hangs on all the earlier ones (memory and time grow with steps). Autograd records every "
             "op on a tensor that requires grad, unless told not to: read about torch.no_grad.")


# ----------------------------------------------------------------------------------------------
# Signum


@dataclass
class SignumCase:
    kwargs: dict  # the constructor's hyperparameters
    description: str


SIGNUM_CASES = [
    SignumCase(dict(lr=0.1, momentum=0.0), "signSGD: momentum 0 moves by lr * sign(grad), no buffer"),
    SignumCase(dict(lr=0.1, momentum=0.9), "Signum: moves by lr * sign(m), m = 0.9 m + 0.1 grad"),
    SignumCase(dict(lr=0.05, momentum=0.5, weight_decay=0.5), "Signum with weight decay inside the momentum"),
    SignumCase(dict(lr=0.1, momentum=0.0, weight_decay=0.5), "signSGD with weight decay: sign(grad + wd * p)"),
    SignumCase(dict(), "the defaults: lr 1e-3, momentum 0.9, weight_decay 0"),
]


def signum_id(case: SignumCase) -> str:
    return ",".join(f"{k}={v}" for k, v in case.kwargs.items()) or "defaults"


# A param and three hand-picked gradients: zeros that must not move (entry 2), a sign flip that
# momentum 0.9 overrides at step 2 (entry 1: m = 0.027 - 0.02 > 0 although the grad is negative),
# and grads that weight decay 0.5 outweighs (entries 1 and 3 at step 1: sign(g) != sign(grad)).
P0 = [1.0, -2.0, 0.5, 3.0, -0.25]
GRADS = [[1.0, 0.3, 0.0, -0.2, -1.0], [-2.0, -0.2, 0.0, 0.1, -0.4], [0.5, 0.25, -1.0, -3.0, 0.2]]


def signum_model(p0, grads, lr=1e-3, momentum=0.9, weight_decay=0.0):
    """Signum written out in float64: (param, buffer or None) after each step."""
    p, m, history = p0.double(), torch.zeros_like(p0, dtype=torch.float64), []
    for grad in grads:
        g = grad.double() + weight_decay * p
        m = momentum * m + (1 - momentum) * g
        p = p - lr * torch.sign(m if momentum > 0 else g)
        history.append((p, m if momentum > 0 else None))
    return history


def leaf(values, device, dtype) -> torch.Tensor:
    return torch.tensor(values, device=device, dtype=dtype, requires_grad=True)


def check_param(opt, p, expected_p, expected_m, step: int, what: str) -> None:
    """p and its momentum buffer (absent when expected_m is None) after `step` steps."""
    __tracebackhide__ = True
    assert_tensor(p.detach(), expected_p.to(p.dtype), what=f"{what} after step {step}",
                  hint="compare your update with the docstring's, term by term: where the weight decay enters, "
                  "what the sign is taken of with and without momentum, and which lr (the param's own group's)")
    state = opt.state.get(p, {})
    if expected_m is None:
        if "momentum_buffer" in state:
            fail(f"{what} has a momentum_buffer with momentum 0. signSGD keeps no state: the contract has a "
                 "buffer only when momentum > 0.")
        return
    if "momentum_buffer" not in state:
        fail(f"after step {step}, self.state[p] has no 'momentum_buffer' for {what} (state keys: "
             f"{sorted(state)}). The contract keeps m in self.state[p]['momentum_buffer'], where state_dict() finds "
             "it.")
    assert_tensor(state["momentum_buffer"], expected_m.to(p.dtype), what=f"the momentum buffer of {what} after "
                  f"step {step}", hint="the buffer starts at zeros of p's shape, dtype and device, so after step 1 "
                  "it is (1 - momentum) times g, weight decay included; then it follows the docstring's average")


@pytest.mark.parametrize("case", cases("Signum", SIGNUM_CASES, ids=signum_id))
def test_signum_steps(case, device, dtype):
    p = leaf(P0, device, dtype)
    opt = optimizers.Signum([p], **case.kwargs)
    grads = [torch.tensor(g, device=device, dtype=dtype) for g in GRADS]
    expected = signum_model(p.detach(), grads, **case.kwargs)
    memory = p.data_ptr()
    for step, (grad, (expected_p, expected_m)) in enumerate(zip(grads, expected), 1):
        p.grad = grad.clone()
        returned = opt.step()
        if returned is not None:
            fail(f"step() without a closure returned {described(returned)}, expected None.")
        if not torch.equal(p.grad, grad):
            fail(f"step {step} changed p.grad ({case.description}). The gradient is the caller's (clipping, "
                 "logging, a second optimizer read it), so weight decay must not be added into it: an in-place op "
                 "on .grad is the usual cause.")
        if p.data_ptr() != memory:
            fail(f"step {step} gave the param new memory ({case.description}), as `p.data = p.data - ...` does: "
                 "anything that shares p's memory (views of it, a flat buffer, a captured CUDA graph) no longer "
                 "sees the update. The update has to write into p's own memory: read about in-place ops (their "
                 "names end in _).")
        check_param(opt, p, expected_p, expected_m, step, f"the param ({case.description})")


@pytest.mark.checks("Signum")
def test_signum_per_group_hyperparameters(device, dtype):
    """Each group's own lr, momentum and weight_decay; a group with lr 0 does not move."""
    params = [leaf(P0, device, dtype) for _ in range(3)]
    groups = [dict(lr=0.0), dict(lr=0.01, momentum=0.0, weight_decay=0.5), dict()]
    defaults = dict(lr=0.1, momentum=0.9, weight_decay=0.0)
    opt = optimizers.Signum([dict(group, params=[p]) for group, p in zip(groups, params)], **defaults)
    grads = [torch.tensor(g, device=device, dtype=dtype) for g in GRADS]
    models = [signum_model(params[0].detach(), grads, **{**defaults, **group}) for group in groups]
    for step, grad in enumerate(grads, 1):
        for p in params:
            p.grad = grad.clone()
        opt.step()
        for index, (p, group, model) in enumerate(zip(params, groups, models)):
            check_param(opt, p, *model[step - 1], step, f"the param of group {index} ({ {**defaults, **group} }; "
                        "read every hyperparameter from the group, not the defaults)")


@pytest.mark.checks("Signum")
def test_signum_add_param_group(device, dtype):
    """A group added later takes the constructor's defaults for what it does not set."""
    first, later = leaf(P0, device, dtype), leaf([0.5, -0.5, 2.0, 0.0, 1.0], device, dtype)
    defaults = dict(lr=0.1, momentum=0.9, weight_decay=0.5)
    opt = optimizers.Signum([first], **defaults)
    grads = [torch.tensor(g, device=device, dtype=dtype) for g in GRADS]
    first.grad = grads[0].clone()
    opt.step()
    opt.add_param_group({"params": [later], "lr": 0.01})
    model = signum_model(later.detach(), grads[1:], **{**defaults, "lr": 0.01})
    for step, (grad, expected) in enumerate(zip(grads[1:], model), 1):
        first.grad, later.grad = grad.clone(), grad.clone()
        opt.step()
        check_param(opt, later, *expected, step, "the param added with add_param_group({'params': [p], 'lr': 0.01})")


@pytest.mark.checks("Signum")
def test_signum_skips_params_without_grad(device, dtype):
    with_grad, without_grad = leaf(P0, device, dtype), leaf(P0, device, dtype)
    opt = optimizers.Signum([with_grad, without_grad], lr=0.1, momentum=0.9, weight_decay=0.5)
    for grad in GRADS:
        with_grad.grad = torch.tensor(grad, device=device, dtype=dtype)
        opt.step()
    if not torch.equal(without_grad.detach(), torch.tensor(P0, device=device, dtype=dtype)):
        fail("a param whose .grad is None moved: it took no part in the loss, so the step leaves it alone, weight "
             "decay included.")
    if opt.state.get(without_grad):
        fail(f"a param whose .grad is None got state {sorted(opt.state[without_grad])}: the step should pass it "
             "by before creating any.")


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.checks("Signum")
def test_signum_zero_grad_does_not_move(momentum, device, dtype):
    p = leaf(P0, device, dtype)
    opt = optimizers.Signum([p], lr=0.1, momentum=momentum)
    for _ in range(2):
        p.grad = torch.zeros_like(p)
        opt.step()
    if not torch.equal(p.detach(), torch.tensor(P0, device=device, dtype=dtype)):
        fail(f"with momentum {momentum}, zero gradients moved the param to {p.detach().tolist()}. sign(0) is 0: "
             "a rule that maps 0 to +1 or -1 (a comparison with 0, say) moves it; torch.sign keeps 0.")


@pytest.mark.parametrize("outer_grad_mode", ["grad enabled", "inside torch.no_grad()"])
@pytest.mark.checks("Signum")
def test_signum_closure(outer_grad_mode, device, dtype):
    """step(closure) runs the closure once, with grad enabled, before the update, and returns its loss."""
    p = leaf(P0, device, dtype)
    target = torch.tensor(GRADS[0], device=device, dtype=dtype)
    opt = optimizers.Signum([p], lr=0.1, momentum=0.0)
    seen, losses = [], []

    def closure():
        seen.append(torch.is_grad_enabled())
        opt.zero_grad()
        loss = (p * target).sum()  # its gradient is target
        if loss.requires_grad:
            loss.backward()
        losses.append(loss)
        return loss

    with torch.set_grad_enabled(outer_grad_mode == "grad enabled"):
        returned = opt.step(closure)
    if seen != [True]:
        fail(f"step(closure) ({outer_grad_mode}) called the closure {len(seen)} times, grad enabled: {seen}. "
             "It must run exactly once, and with grad enabled even though step() itself runs without grad, since "
             "the closure calls backward(): read about torch.enable_grad.")
    if returned is not losses[0]:
        fail(f"step(closure) returned {described(returned)}, not the loss the closure returned.")
    expected = torch.tensor(P0, device=device, dtype=dtype) - 0.1 * torch.sign(target)
    assert_tensor(p.detach(), expected, what="the param after step(closure)",
                  hint="the closure computes the gradients the update uses, so it runs before the update")


@pytest.mark.checks("Signum")
def test_signum_builds_no_graph(device, dtype):
    p = leaf(P0, device, dtype)
    opt = optimizers.Signum([p], lr=0.1, momentum=0.9, weight_decay=0.5)
    for _ in range(2):
        opt.zero_grad()
        rosenbrock_loss(p).backward()
        opt.step()
    buffer = opt.state.get(p, {}).get("momentum_buffer")
    if p.grad_fn is not None or not p.is_leaf or (buffer is not None and buffer.requires_grad):
        fail(f"step recorded an autograd graph (param grad_fn {p.grad_fn}, buffer requires_grad "
             f"{None if buffer is None else buffer.requires_grad}), so the buffer drags every past step's graph "
             "along. The built-in optimizers' step() runs without grad: read about torch.no_grad.")


@pytest.mark.checks("Signum")
def test_signum_state_dict_round_trip(device, dtype):
    """Save after two steps, load into a fresh optimizer: both continue bit for bit alike."""
    params = [make_tensor(shape, device=device, dtype=dtype, low=-1, high=1, requires_grad=True)
              for shape in [(3, 4), (5,)]]
    grads = [[torch.randn_like(p) for p in params] for _ in range(5)]

    def groups(ps):
        return [{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05, "weight_decay": 0.0}]

    opt = optimizers.Signum(groups(params), lr=0.1, momentum=0.9, weight_decay=0.1)
    for step_grads in grads[:2]:
        for p, g in zip(params, step_grads):
            p.grad = g.clone()
        opt.step()
    clones = [p.detach().clone().requires_grad_(True) for p in params]
    restored = optimizers.Signum(groups(clones), lr=0.7, momentum=0.5, weight_decay=0.0)
    restored.load_state_dict(copy.deepcopy(opt.state_dict()))
    for step, step_grads in enumerate(grads[2:], 3):
        for p, c, g in zip(params, clones, step_grads):
            p.grad, c.grad = g.clone(), g.clone()
        opt.step()
        restored.step()
        for index, (p, c) in enumerate(zip(params, clones)):
            if not torch.equal(p.detach(), c.detach()):
                fail(f"after load_state_dict, param {index} differs from the original run at step {step}. "
                     "Everything a step needs must live in self.state[p] and self.param_groups, which "
                     "state_dict() saves; nothing on self.")


@pytest.mark.parametrize("case", cases("Signum", SIGNUM_CASES[1:4], ids=signum_id))
def test_signum_noncontiguous_params(case, device, dtype):
    base = torch.tensor([P0, [2 * v for v in P0]], device=device, dtype=dtype)
    p = base.t().requires_grad_(True)  # (5, 2), a strided view: one step between rows is 1, not 2
    grads = [torch.tensor([g, [-v for v in g]], device=device, dtype=dtype).t() for g in GRADS]
    opt = optimizers.Signum([p], **case.kwargs)
    for step, (grad, expected) in enumerate(zip(grads, signum_model(p.detach(), grads, **case.kwargs)), 1):
        p.grad = grad
        opt.step()
        check_param(opt, p, *expected, step, "a non-contiguous param (update p itself in place, never a "
                    "reshape or view(-1) of it: on a strided tensor reshape copies)")


SIGNUM_BAD = [  # (bad hyperparameters, ways to name the argument, the case in words)
    (dict(lr=-0.1), ("lr", "learning rate"), "lr < 0"),
    (dict(momentum=-0.1), ("momentum",), "momentum < 0"),
    (dict(momentum=1.0), ("momentum",), "momentum 1 (keeps m forever, never looks at a new gradient)"),
    (dict(weight_decay=-1e-4), ("weight_decay", "weight decay"), "weight_decay < 0"),
]


@pytest.mark.parametrize(("kwargs", "names", "case"), SIGNUM_BAD,
                         ids=["lr<0", "momentum<0", "momentum=1", "weight_decay<0"])
@pytest.mark.checks("Signum")
def test_signum_rejects_bad_hyperparameters(kwargs, names, case, device):
    p = leaf(P0, device, torch.float32)
    optimizers.Signum([p], lr=0.0, momentum=0.0, weight_decay=0.0)  # the edges of the valid ranges
    with raises_value_error(names, case=f"{case} (name {names[0]} in the message, so the caller knows which "
                            "argument to fix)"):
        optimizers.Signum([p], **kwargs)


@pytest.mark.checks("Signum")
def test_signum_converges_on_rosenbrock(device, dtype):
    """The lecture's test function in 2-D: from (-1.5, 2), loss 12.5, down the curved valley towards (1, 1)."""
    x = torch.tensor(START, device=device, dtype=dtype, requires_grad=True)
    opt = optimizers.Signum([x], lr=0.2, momentum=0.9)
    schedule = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.97)  # rewrites group["lr"] every step
    for _ in range(100):
        opt.zero_grad()
        rosenbrock_loss(x).backward()
        opt.step()
        schedule.step()
    loss = rosenbrock_loss(x).item()
    if not loss < 0.5:
        fail("Signum(lr=0.2, momentum=0.9) with lr decaying by 0.97 per step left the Rosenbrock loss at "
             f"{loss:.3g} after 100 steps from {START} (a correct Signum gets below 0.1; signSGD without "
             "momentum stalls near 6).")


# ----------------------------------------------------------------------------------------------
# decay_param_groups


class TiedModel(nn.Module):
    """An embedding tied to the output layer, a partly frozen layer and a 0-dim parameter."""

    def __init__(self):
        super().__init__()
        self.temperature = nn.Parameter(torch.tensor(1.0))
        self.embed = nn.Embedding(10, 4)
        self.frozen = nn.Linear(4, 4)
        self.frozen.weight.requires_grad_(False)
        self.norm = nn.LayerNorm(4)
        self.head = nn.Linear(4, 10, bias=False)
        self.head.weight = self.embed.weight  # one Parameter, reachable as embed.weight and head.weight


def conv_net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
        nn.Linear(16, 8), nn.LayerNorm(8), nn.Linear(8, 2, bias=False), nn.GroupNorm(1, 2),
    )


MODELS = {  # model, names of the params to decay, names of the others, in model.parameters() order
    "conv_net": (conv_net, ["0.weight", "4.weight", "6.weight"],
                 ["0.bias", "1.weight", "1.bias", "4.bias", "5.weight", "5.bias", "7.weight", "7.bias"]),
    "tied": (TiedModel, ["embed.weight"], ["temperature", "frozen.bias", "norm.weight", "norm.bias"]),
}


def names_of(params, model) -> list[str]:
    names = {id(p): name for name, p in model.named_parameters()}
    return [names.get(id(p), f"<not a parameter of the model: {type(p).__name__} {tuple(p.shape)}>") for p in params]


def checked_groups(model, weight_decay) -> list[dict]:
    __tracebackhide__ = True
    groups = optimizers.decay_param_groups(model, weight_decay)
    if (not isinstance(groups, list) or len(groups) != 2 or not all(isinstance(g, dict) for g in groups)
            or not all({"params", "weight_decay"} <= set(g) for g in groups)):
        fail(f"expected a list of two dicts with keys 'params' and 'weight_decay', got {described(groups)}")
    if not all(isinstance(g["params"], list) for g in groups):
        fail("each group's 'params' should be a list (a generator is used up after one pass).")
    return groups


@pytest.mark.parametrize("name", cases("decay_param_groups", MODELS))
def test_decay_param_groups_membership_and_order(name, device):
    build, decay, no_decay = MODELS[name]
    model = build().to(device)
    groups = checked_groups(model, 0.1)
    for group, want, weight_decay, rule in [(groups[0], decay, 0.1, "ndim >= 2"),
                                            (groups[1], no_decay, 0.0, "ndim < 2")]:
        got = names_of(group["params"], model)
        if got != want:
            fail(f"the group of params with {rule} lists {got}, expected {want}. The contract decides by the "
                 "number of dims, not by name (norm layers have 1-D 'weight's), and lists only params that require "
                 "grad, each once, in model.parameters() order.")
        if group["weight_decay"] != weight_decay:
            fail(f"the {rule} group has weight_decay {group['weight_decay']!r}, expected {weight_decay}.")


@pytest.mark.checks("decay_param_groups")
def test_decay_param_groups_lists_tied_weights_once(device):
    model = TiedModel().to(device)
    params = [p for g in checked_groups(model, 0.1) for p in g["params"]]
    names = names_of(params, model)
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        fail(f"{repeated} listed more than once (embed.weight is also head.weight). An optimizer would update a "
             "tied weight twice per step; model.parameters() yields each Parameter once.")


@pytest.mark.checks("decay_param_groups")
def test_decay_param_groups_skips_frozen_params(device):
    model = TiedModel().to(device)
    params = [p for g in checked_groups(model, 0.1) for p in g["params"]]
    if any(p is model.frozen.weight for p in params):
        fail("listed frozen.weight, which has requires_grad False. Frozen params stay out of the optimizer.")


# ----------------------------------------------------------------------------------------------
# lr_param_groups


class EncoderDecoder(nn.Module):
    """Names that share a beginning without sharing a prefix ("enc" is not "encoder_norm"), nested
    modules, and a parameter of the model itself."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
        self.encoder_norm = nn.LayerNorm(8)
        self.dec = nn.Linear(8, 4)
        self.scale = nn.Parameter(torch.tensor(1.0))


@dataclass(frozen=True)
class LrCase:
    model: Callable[[], nn.Module]
    lr_by_prefix: dict[str, float]
    groups: list[tuple[list[str], float]]  # each group: its params' names, its lr (lr 0.1 for the rest)
    hint: str


LR_CASES = {  # named_parameters() lists a module's own parameters (scale) before its children's
    "one prefix": LrCase(EncoderDecoder, {"enc": 1e-3}, [
        (["scale", "encoder_norm.weight", "encoder_norm.bias", "dec.weight", "dec.bias"], 0.1),
        (["enc.0.weight", "enc.0.bias", "enc.2.weight", "enc.2.bias"], 1e-3),
    ], "a prefix matches a name whole or up to a '.': 'enc' is the start of 'encoder_norm.weight', not its prefix"),
    "the longest prefix wins": LrCase(EncoderDecoder, {"enc": 1e-3, "enc.2": 1e-4}, [
        (["scale", "encoder_norm.weight", "encoder_norm.bias", "dec.weight", "dec.bias"], 0.1),
        (["enc.0.weight", "enc.0.bias"], 1e-3), (["enc.2.weight", "enc.2.bias"], 1e-4),
    ], "of the prefixes that match a name, the longest decides, whatever the dict's order"),
    "whole names": LrCase(EncoderDecoder, {"dec.bias": 0.0, "scale": 0.5}, [
        (["scale"], 0.5),
        (["enc.0.weight", "enc.0.bias", "enc.2.weight", "enc.2.bias", "encoder_norm.weight", "encoder_norm.bias",
          "dec.weight"], 0.1),
        (["dec.bias"], 0.0),
    ], "groups come in the order of their first parameter in named_parameters(), not in the dict's order, and "
       "named_parameters() lists a module's own parameters before its children's"),
    "every parameter matched": LrCase(EncoderDecoder, {"dec": 1e-4, "enc": 1e-3, "encoder_norm": 1e-2, "scale": 2e-3}, [
        (["scale"], 2e-3), (["enc.0.weight", "enc.0.bias", "enc.2.weight", "enc.2.bias"], 1e-3),
        (["encoder_norm.weight", "encoder_norm.bias"], 1e-2), (["dec.weight", "dec.bias"], 1e-4),
    ], "when every parameter has a prefix, no parameter is left for the group with lr: no empty group"),
    "no prefix": LrCase(EncoderDecoder, {}, [
        (["scale", "enc.0.weight", "enc.0.bias", "enc.2.weight", "enc.2.bias", "encoder_norm.weight",
          "encoder_norm.bias", "dec.weight", "dec.bias"], 0.1),
    ], "without prefixes, every parameter is in one group with lr"),
    "tied and frozen": LrCase(TiedModel, {"embed": 1e-3, "frozen": 1e-2}, [
        (["temperature", "norm.weight", "norm.bias"], 0.1), (["embed.weight"], 1e-3), (["frozen.bias"], 1e-2),
    ], "named_parameters() gives each Parameter once (head.weight is embed.weight), and frozen ones stay out"),
}


def checked_lr_groups(model, lr, lr_by_prefix) -> list[dict]:
    __tracebackhide__ = True
    groups = optimizers.lr_param_groups(model, lr, lr_by_prefix)
    if not isinstance(groups, list) or not all(isinstance(g, dict) and {"params", "lr"} <= set(g) for g in groups):
        fail(f"expected a list of dicts with keys 'params' and 'lr', got {described(groups)}")
    if not all(isinstance(g["params"], list) for g in groups):
        fail("each group's 'params' should be a list (a generator is used up after one pass).")
    return groups


@pytest.mark.parametrize("name", cases("lr_param_groups", LR_CASES))
def test_lr_param_groups_membership_lrs_and_order(name, device):
    case = LR_CASES[name]
    model = case.model().to(device)
    groups = checked_lr_groups(model, 0.1, dict(case.lr_by_prefix))
    got = [(names_of(g["params"], model), g["lr"]) for g in groups]
    if got != case.groups:
        fail(f"for lr 0.1 and lr_by_prefix {case.lr_by_prefix} ({name}), the groups (names, lr) are {got}, "
             f"expected {case.groups}", case.hint)


@pytest.mark.checks("lr_param_groups")
def test_lr_param_groups_make_an_sgd_step(device):
    """Each parameter moves by its own group's lr in one SGD step with every gradient 1, the step written
    out as torch.optim.SGD takes it (building a torch.optim optimizer imports torch._dynamo: seconds of
    every run); no parameter in two groups, which torch.optim refuses."""
    model = EncoderDecoder().to(device)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    groups = checked_lr_groups(model, 0.1, {"enc": 1e-3, "enc.2": 1e-4, "scale": 0.5})
    listed = names_of([p for g in groups for p in g["params"]], model)
    if len(listed) != len(set(listed)):
        fail(f"the groups list {sorted({n for n in listed if listed.count(n) > 1})} more than once: torch.optim "
             "refuses a parameter in two groups and warns about one listed twice in a group")
    with torch.no_grad():
        for group in groups:
            for p in group["params"]:
                p -= group["lr"] * torch.ones_like(p)
    for name, p in model.named_parameters():
        lr = 1e-4 if name.startswith("enc.2.") else 1e-3 if name.startswith("enc.") else 0.5 if name == "scale" else 0.1
        assert_tensor(p.detach(), before[name] - lr, what=f"{name} after one SGD step with gradient 1",
                      hint=f"{name} should move by lr {lr}, the lr of the group it is in")


@pytest.mark.parametrize("lr, lr_by_prefix, keywords, case", cases("lr_param_groups", [
    (0.1, {"encoder": 1e-3}, (("lr_by_prefix", "prefix"), "encoder"), "a prefix that matches no parameter: "
     "'encoder' is only the start of 'encoder_norm'"),
    (0.1, {"enc": 1e-3, "dec.weight.x": 1e-4}, (("lr_by_prefix", "prefix"), "dec.weight.x"),
     "a prefix longer than any name"),
    (-0.1, {"enc": 1e-3}, ("lr",), "lr < 0"),
    (0.1, {"enc": -1e-3}, ("lr",), "an lr < 0 in lr_by_prefix"),
], ids=lambda value: value[-1] if isinstance(value, tuple) else str(value)))
def test_lr_param_groups_rejects_bad_arguments(lr, lr_by_prefix, keywords, case, device):
    model = EncoderDecoder().to(device)
    with raises_value_error(*keywords, case=f"lr {lr}, lr_by_prefix {lr_by_prefix} ({case})"):
        optimizers.lr_param_groups(model, lr, lr_by_prefix)


# ----------------------------------------------------------------------------------------------
# minimize_lbfgs


@pytest.mark.checks("minimize_lbfgs")
def test_minimize_lbfgs_reaches_the_optimum(device, dtype):
    x0 = torch.tensor([0.5, 0.5], device=device, dtype=dtype)
    x = optimizers.minimize_lbfgs(rosenbrock_loss, x0)
    if not isinstance(x, torch.Tensor) or x.requires_grad:
        fail(f"expected a tensor that does not require grad, got {described(x)}")
    assert_tensor(x, torch.ones(2, device=device, dtype=dtype), atol=1e-3, rtol=0,
                  what="the minimizer of Rosenbrock found from (0.5, 0.5) in 20 LBFGS steps",
                  hint="LBFGS needs a closure that recomputes the loss and its gradient at the current x: look at "
                  "what your closure does with the gradient of the evaluation before")


@pytest.fixture(scope="module")
def lbfgs_one_step():
    """One step of torch.optim.LBFGS(lr=0.5) on Rosenbrock from (0.5, 0.5), not yet converged."""
    x = torch.tensor([0.5, 0.5], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = rosenbrock_loss(x)
        loss.backward()
        return loss

    opt.step(closure)
    return x.detach()


@pytest.mark.checks("minimize_lbfgs")
def test_minimize_lbfgs_takes_steps_and_lr(lbfgs_one_step, device, dtype):
    x0 = torch.tensor([0.5, 0.5], device=device, dtype=dtype)
    x = optimizers.minimize_lbfgs(rosenbrock_loss, x0, steps=1, lr=0.5)
    assert_tensor(x, lbfgs_one_step.to(device=device, dtype=dtype), atol=1e-4, rtol=0,
                  what="the point after steps=1, lr=0.5",
                  hint="the lr passed in, every other LBFGS option at its default, and `steps` calls of "
                  "step(closure); a gradient never cleared between evaluations adds up")


@pytest.mark.checks("minimize_lbfgs")
def test_minimize_lbfgs_leaves_x0_alone(device, dtype):
    x0 = torch.tensor([1.0, -2.0, 0.5], device=device, dtype=dtype, requires_grad=True)
    refused = None
    try:
        x = optimizers.minimize_lbfgs(lambda x: ((x - 3) ** 2).sum(), x0, steps=1)
    except ValueError as error:
        if "non-leaf" not in str(error):
            raise
        refused = str(error)
    if refused:  # LBFGS's own error, raised deep inside torch.optim, does not say why
        fail(f"torch.optim.LBFGS refused its param ({refused!r}) for an x0 that requires grad: x0.clone() is "
             "recorded by autograd, so the copy is no leaf tensor: read about Tensor.detach.")
    if x0.grad is not None:
        fail("x0.grad was filled in, so LBFGS optimized through x0 itself: the optimization should work on a leaf "
             "tensor of its own, made from x0's values.")
    if x.untyped_storage().data_ptr() == x0.untyped_storage().data_ptr():
        fail("the result shares memory with x0: the caller's x0 must stay as it was, and the result be a tensor "
             "of its own.")
    assert_tensor(x, torch.full((3,), 3.0, device=device, dtype=dtype), atol=1e-4, rtol=0,
                  what="the minimizer of sum (x - 3)^2", hint="LBFGS solves a quadratic in one step")


# The judge's cases (judge_optimizers.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
