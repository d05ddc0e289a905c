"""Tests for kata 07, forward-mode AD. Run: pytest katas/07_forward_ad (add -k jvp for one function).

Each function f below is a case: the shape of x, the fixed tensors f closes over, and its Jacobian
written out by hand. jvp is checked against that closed form, directional_derivative and
jacobian_forward against reverse mode (torch.autograd.grad, called here in the tests), and all of
them on custom autograd.Functions whose backward is wrong but whose jvp is right: forward mode
never runs a backward, so it must still get them right. The harness adds the kata's rules to every
call (no reverse-mode calls in the first three functions, inputs unchanged).
"""

from dataclasses import dataclass
from typing import Callable

import pytest
import torch
from torch.testing import make_tensor

from katas.harness import (
    assert_tensor, cases, fail, generator, implementation, judged_tests, raises_value_error, shape_words,
)
from katas.harness.builders import (
    Cube, CubeBackwardMissesSquare, CubeBackwardOffByAThousandth, MatVec, MatVecBackwardForgetsTranspose,
    StraightThroughRound,
)

forward_ad = implementation(__file__)

# The first dual tensor makes torch script its forward-mode decompositions, with a warning per script
# (a DeprecationWarning, a FutureWarning from torch 2.14 on).
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")


@dataclass(frozen=True)
class Case:
    x_shape: tuple[int, ...]
    constants: tuple[tuple[int, ...], ...]  # shapes of the fixed tensors f takes after x
    f: Callable[..., torch.Tensor]  # f(x, *constants)
    jacobian: Callable[..., torch.Tensor]  # the same f's Jacobian by hand, shape f(x).shape + x.shape


def _tanh_cumsum_jacobian(x):
    # d out[i, j] / d x[k, l] = [i == k] [l <= j] (1 - tanh(x[k, l]) ** 2)
    rows = torch.eye(x.shape[0], dtype=x.dtype, device=x.device)
    prefix = torch.ones(x.shape[1], x.shape[1], dtype=x.dtype, device=x.device).tril()
    return torch.einsum("ik,jl,kl->ijkl", rows, prefix, 1 - torch.tanh(x) ** 2)


# No f here adds or multiplies x elementwise with a constant tensor or number (x + b, x * c): in
# forward mode PyTorch runs those through a Python reference that imports torch._dynamo on first
# use, about 4 s of every student's run. Matrix products with constants (A @ x) are fine.
CASES = {
    "sin(x) * x": Case(
        (5,), (), lambda x: torch.sin(x) * x,
        lambda x: torch.diag(x * torch.cos(x) + torch.sin(x)),
    ),
    "A @ x, A (4, 3)": Case((3,), ((4, 3),), lambda x, a: a @ x, lambda x, a: a),
    "(x ** 2).sum()": Case((5,), (), lambda x: (x ** 2).sum(), lambda x: 2 * x),
    "tanh(W @ x), W (2, 3)": Case(
        (3,), ((2, 3),), lambda x, w: torch.tanh(w @ x), lambda x, w: (1 - torch.tanh(w @ x) ** 2)[:, None] * w,
    ),
    "M @ tanh(X) @ w, X (2, 3) -> (4,)": Case(
        (2, 3), ((4, 2), (3,)), lambda x, m, w: m @ torch.tanh(x) @ w,
        lambda x, m, w: torch.einsum("ki,ij,j->kij", m, 1 - torch.tanh(x) ** 2, w),
    ),
    "tanh(X).cumsum(dim=1), (2, 3) -> (2, 3)": Case(
        (2, 3), (), lambda x: torch.tanh(x).cumsum(dim=1), _tanh_cumsum_jacobian,
    ),
    "X.logsumexp((0, 1)), (2, 3) -> ()": Case(
        (2, 3), (), lambda x: x.logsumexp(dim=(0, 1)), lambda x: (x - x.logsumexp(dim=(0, 1))).exp(),
    ),
    "0-dim x: stack([sin t, t ** 2])": Case(
        (), (), lambda t: torch.stack([torch.sin(t), t ** 2]), lambda t: torch.stack([torch.cos(t), 2 * t]),
    ),
    "0-dim x and f(x): t ** 3": Case((), (), lambda t: t ** 3, lambda t: 3 * t ** 2),
}
SCALAR_CASES = ["(x ** 2).sum()", "X.logsumexp((0, 1)), (2, 3) -> ()", "0-dim x and f(x): t ** 3"]


@dataclass
class Problem:
    f: Callable[[torch.Tensor], torch.Tensor]  # the case's f with its constants bound
    x: torch.Tensor
    f64: Callable[[torch.Tensor], torch.Tensor]  # the same in float64, for expected values
    x64: torch.Tensor
    jacobian64: Callable[[], torch.Tensor]  # the closed-form Jacobian at x, in float64


def setup(name: str, device: str, dtype: torch.dtype) -> Problem:
    case = CASES[name]
    x = make_tensor(case.x_shape, device=device, dtype=dtype, low=-2, high=2)
    constants = [make_tensor(shape, device=device, dtype=dtype, low=-2, high=2) for shape in case.constants]
    constants64 = [c.double() for c in constants]
    return Problem(
        lambda x: case.f(x, *constants), x, lambda x: case.f(x, *constants64), x.double(),
        lambda: case.jacobian(x.double(), *constants64),
    )


def reverse_jacobian(f: Callable, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian in reverse mode, one gradient per output element (the tests may do this)."""
    x = x.detach().requires_grad_()
    out = f(x)
    rows = [torch.autograd.grad(y, x, retain_graph=True)[0] for y in out.reshape(-1)]
    return torch.stack(rows).reshape(out.shape + x.shape)


def times(jacobian: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """J v: contract the trailing x-shaped dims of J with v."""
    return (jacobian.reshape(-1, v.numel()) @ v.reshape(-1)).reshape(jacobian.shape[: jacobian.ndim - v.ndim])


# The custom autograd.Functions the tests use are in the setup_context style, with a jvp, so that
# torch.func.jvp and forward_ad dual tensors both work on them: the judge's own (Cube, MatVec,
# StraightThroughRound and their wrong-backward variants, from katas.harness.builders), and a few below.
AD_HINT = ("f is a custom autograd.Function whose derivative is defined by its jvp rule (straight-through round: "
           "the identity); forward-mode AD (torch.func.jvp or forward_ad dual tensors) runs that rule, while a "
           "finite difference (f(x + h v) - f(x - h v)) / 2h only sees round's flat steps")


def matrix(device, dtype, shape=(4, 4)):
    return make_tensor(shape, device=device, dtype=dtype, low=-2, high=2)


def vector(device, dtype, shape=(4,)):
    return make_tensor(shape, device=device, dtype=dtype, low=-2, high=2)


def check_pair(result) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(result, tuple) or len(result) != 2:
        fail(f"expected a tuple (f(x), J v), got {type(result).__name__}")
    return result


# ---------------------------------------------------------------- jvp


@pytest.mark.parametrize("name", cases("jvp", CASES))
def test_jvp_values(name, device, dtype):
    p = setup(name, device, dtype)
    v = make_tensor(p.x.shape, device=device, dtype=dtype, low=-1, high=1)
    value, tangent = check_pair(forward_ad.jvp(p.f, p.x, v))
    assert_tensor(value, p.f64(p.x64).to(dtype), what=f"f(x), the first result, for f = {name}",
                  hint="return f evaluated at x itself (the primal), not the dual tensor or the tangent")
    expected = times(p.jacobian64(), v.double()).to(dtype)
    assert_tensor(tangent, expected, what=f"J v, the second result, for f = {name}",
                  hint="J v is the tangent of f's output when x carries the tangent v (forward mode): not v itself, "
                  "not f(v), not a finite difference")


@pytest.mark.checks("jvp")
def test_jvp_of_a_constant_is_zeros(device, dtype):
    x = vector(device, dtype, (3,))
    constant = torch.tensor([5.0, -1.0], device=device, dtype=dtype)
    value, tangent = check_pair(forward_ad.jvp(lambda x: constant, x, torch.ones_like(x)))
    assert_tensor(value, constant, what="f(x) for a constant f")
    assert_tensor(tangent, torch.zeros_like(constant), what="J v for a constant f",
                  hint="an output that does not depend on x has no tangent: unpack_dual gives None there, while "
                  "the contract asks for zeros of the output's shape")


@pytest.mark.checks("jvp")
def test_jvp_uses_the_functions_jvp_not_its_backward(device, dtype):
    a, x, v = matrix(device, dtype), vector(device, dtype), vector(device, dtype)
    value, tangent = check_pair(forward_ad.jvp(lambda x: MatVecBackwardForgetsTranspose.apply(x, a), x, v))
    assert_tensor(value, (a.double() @ x.double()).to(dtype), what="f(x) for a custom autograd.Function")
    assert_tensor(tangent, (a.double() @ v.double()).to(dtype), what="J v for a custom autograd.Function with a wrong "
                  "backward and a correct jvp", hint="forward mode runs the Function's jvp and never its backward: "
                  "a result built from the backward is reverse mode in disguise")


@pytest.mark.checks("jvp")
def test_jvp_is_automatic_differentiation(device, dtype):
    x, v = vector(device, dtype, (5,)), vector(device, dtype, (5,))
    value, tangent = check_pair(forward_ad.jvp(StraightThroughRound.apply, x, v))
    assert_tensor(value, torch.round(x), what="f(x) for a straight-through round")
    assert_tensor(tangent, v, what="J v for a straight-through round (its jvp passes v through)", hint=AD_HINT)


@pytest.mark.checks("jvp")
def test_jvp_rejects_v_of_another_shape(device):
    for x_shape, v_shape in [((2, 3), (3, 2)), ((2, 3), (3,)), ((2, 3), (2, 3, 1)), ((3,), (4,)), ((), (1,))]:
        x, v = torch.zeros(x_shape, device=device), torch.ones(v_shape, device=device)
        with raises_value_error(*shape_words(x_shape, v_shape), case=f"x of shape {x_shape} and v of shape {v_shape} "
                                "(name both shapes in the message)"):
            forward_ad.jvp(torch.sin, x, v)


# ---------------------------------------------------------------- directional_derivative


@pytest.mark.parametrize("name", cases("directional_derivative", SCALAR_CASES))
def test_directional_derivative_values(name, device, dtype):
    p = setup(name, device, dtype)
    v = make_tensor(p.x.shape, device=device, dtype=dtype, low=-1, high=1)
    gradient = reverse_jacobian(p.f64, p.x64)  # a scalar f's Jacobian is its gradient, shape x.shape
    expected = (gradient * v.double()).sum().to(dtype)
    assert_tensor(forward_ad.directional_derivative(p.f, p.x, v), expected,
                  what=f"the directional derivative of {name}", hint="it is J v for a scalar f: the tangent of f(x), a 0-dim tensor")


@pytest.mark.checks("directional_derivative")
def test_directional_derivative_uses_forward_mode(device, dtype):
    a, x, v = matrix(device, dtype), vector(device, dtype), vector(device, dtype)
    result = forward_ad.directional_derivative(lambda x: (MatVecBackwardForgetsTranspose.apply(x, a) ** 2).sum(), x, v)
    a64, x64, v64 = a.double(), x.double(), v.double()
    assert_tensor(result, (2 * (a64 @ x64) @ (a64 @ v64)).to(dtype),
                  what="the directional derivative through a custom Function with a wrong backward and a correct jvp",
                  hint="compute it in forward mode (a jvp), not as a gradient dotted with v")


@pytest.mark.checks("directional_derivative")
def test_directional_derivative_is_automatic_differentiation(device, dtype):
    x, v = vector(device, dtype, (5,)), vector(device, dtype, (5,))
    result = forward_ad.directional_derivative(lambda x: StraightThroughRound.apply(x).sum(), x, v)
    assert_tensor(result, v.double().sum().to(dtype),
                  what="the directional derivative of round(x).sum(), round straight-through", hint=AD_HINT)


@pytest.mark.checks("directional_derivative")
def test_directional_derivative_rejects_non_scalar_f(device):
    for name in ["sin(x) * x", "A @ x, A (4, 3)", "tanh(X).cumsum(dim=1), (2, 3) -> (2, 3)"]:
        p = setup(name, device, torch.float32)
        out_shape = tuple(p.f(p.x).shape)
        with raises_value_error(("scalar", "0-d", "dim"), *shape_words(out_shape),  # "0-dim", "ndim" alike
                                case=f"f = {name}, whose output has shape "
                                f"{out_shape} (say that f(x) must be a scalar, and give its shape)"):
            forward_ad.directional_derivative(p.f, p.x, torch.ones_like(p.x))


# ---------------------------------------------------------------- jacobian_forward


@pytest.mark.parametrize("name", cases("jacobian_forward", CASES))
def test_jacobian_forward_values(name, device, dtype):
    p = setup(name, device, dtype)
    expected = reverse_jacobian(p.f64, p.x64).to(dtype)
    assert_tensor(forward_ad.jacobian_forward(p.f, p.x), expected, what=f"the Jacobian of {name}",
                  hint="J has shape f(x).shape + x.shape, and column j is J e_j for the j-th basis direction of "
                  "x's shape: the input's dims come last, after f(x)'s")


@pytest.mark.checks("jacobian_forward")
def test_jacobian_forward_uses_forward_mode(device, dtype):
    a, x = matrix(device, dtype, (3, 3)), vector(device, dtype, (3,))
    result = forward_ad.jacobian_forward(lambda x: MatVecBackwardForgetsTranspose.apply(x, a), x)
    assert_tensor(result, a, what="the Jacobian of a custom Function with a wrong backward and a correct jvp",
                  hint="build it from jvps (forward mode), which never run the Function's backward")


@pytest.mark.checks("jacobian_forward")
def test_jacobian_forward_is_automatic_differentiation(device, dtype):
    x = vector(device, dtype, (2, 2))
    expected = torch.eye(4, device=device, dtype=dtype).reshape(2, 2, 2, 2)
    assert_tensor(forward_ad.jacobian_forward(StraightThroughRound.apply, x), expected,
                  what="the Jacobian of a straight-through round, x (2, 2)", hint=AD_HINT)


@pytest.mark.checks("jacobian_forward")
def test_jacobian_forward_of_a_constant_is_zeros(device, dtype):
    x = vector(device, dtype, (3,))
    constant = torch.tensor([5.0, -1.0], device=device, dtype=dtype)
    assert_tensor(forward_ad.jacobian_forward(lambda x: constant, x), torch.zeros(2, 3, device=device, dtype=dtype),
                  what="the Jacobian of a constant f", hint="its Jacobian is zeros of shape f(x).shape + x.shape")


# ---------------------------------------------------------------- check_backward

# float32 rounds inner products to about 1e-6 relative; loosen the defaults there for correct functions.
ROUNDING = {torch.float32: {"rtol": 1e-3, "atol": 1e-4}, torch.float64: {}}


def verdict(result, expected: bool, what: str, hint: str) -> None:
    if type(result) is not bool:
        fail(f"returned {type(result).__name__} for {what}, expected a Python bool (a 0-dim tensor is not one)")
    if result is not expected:
        fail(f"returned {result} for {what}, expected {expected}.", hint)


CORRECT_FUNCTIONS = list(CASES) + ["Cube (custom Function)", "MatVec (custom Function)",
                                   "straight-through round (custom Function)"]


def correct_function(name: str, device: str, dtype: torch.dtype):
    if name == "straight-through round (custom Function)":
        return StraightThroughRound.apply, vector(device, dtype, (5,))
    if name == "Cube (custom Function)":
        return Cube.apply, vector(device, dtype, (5,))
    if name == "MatVec (custom Function)":
        a = matrix(device, dtype, (4, 3))
        return (lambda x: MatVec.apply(x, a)), vector(device, dtype, (3,))
    p = setup(name, device, dtype)
    return p.f, p.x


@pytest.mark.parametrize("name", cases("check_backward", CORRECT_FUNCTIONS))
def test_check_backward_passes_correct_functions(name, device, dtype):
    f, x = correct_function(name, device, dtype)
    verdict(forward_ad.check_backward(f, x, **ROUNDING[dtype]), True, f"f = {name}, whose backward is correct",
            hint="<u, J v> (forward mode: the jvp's tangent) and <J^T u, v> (reverse mode: the gradient of "
            "sum(f(x) * u)) are the same number up to rounding; compare them with rtol and atol")


@pytest.mark.checks("check_backward")
def test_check_backward_catches_a_wrong_backward(device, dtype):
    a, x = matrix(device, dtype), vector(device, dtype)
    wrong = {
        "a custom Function whose backward forgets the transpose (a @ g, not a.T @ g)":
            lambda x: MatVecBackwardForgetsTranspose.apply(x, a),
        "a custom Function whose backward forgets a square (3 x g, not 3 x^2 g)": CubeBackwardMissesSquare.apply,
    }
    for what, f in wrong.items():
        verdict(forward_ad.check_backward(f, x), False, what,
                hint="compute <u, J v> in forward mode (it runs the Function's jvp) and <J^T u, v> in reverse mode "
                "(it runs the backward); comparing a mode with itself can never catch a wrong backward")


@pytest.mark.checks("check_backward")
def test_check_backward_respects_rtol_and_atol(device, dtype):
    x, f = vector(device, dtype, (5,)), CubeBackwardOffByAThousandth.apply
    what = "a backward 0.1% too large"
    verdict(forward_ad.check_backward(f, x), False, f"{what} at the default rtol=1e-4",
            hint="compare the two numbers by the docstring's rule, with the rtol and atol passed in")
    verdict(forward_ad.check_backward(f, x, rtol=1e-2), True, f"{what} with rtol=1e-2", hint="use the rtol passed in")
    verdict(forward_ad.check_backward(f, x, rtol=0.0, atol=1e3), True, f"{what} with rtol=0, atol=1e3",
            hint="use the atol passed in")
    verdict(forward_ad.check_backward(f, x, rtol=0.0, atol=1e-9), False, f"{what} with rtol=0, atol=1e-9",
            hint="use the rtol and atol passed in")


@pytest.mark.checks("check_backward")
def test_check_backward_needs_every_pair_to_agree(device):
    # At a 0-dim x = 1 the pair (u, v) gives <u, J v> = 3 u v, and this backward gives 3.003 u v: they differ by
    # 0.003 |u v|, within atol = 0.003 * 0.3654 for half of all pairs (0.3654 is the median of |u v|). Among
    # 40 pairs, some agree and some do not, whatever the order of your draws (all 40 alike: odds 2^-39).
    x = torch.ones((), device=device, dtype=torch.float64)
    verdict(forward_ad.check_backward(CubeBackwardOffByAThousandth.apply, x, num_directions=40, rtol=0.0,
                                      atol=0.003 * 0.3654), False,
            "a backward 0.1% too large at x = 1, with rtol=0 and atol=1.1e-3, which about half of the 40 pairs meet",
            hint="return True only when every pair agrees (all, not any); one disagreeing pair exposes the backward")


def global_rng_states(device: str) -> list[torch.Tensor]:
    # Emulated CUDA (no GPU here) draws from the CPU's global random state, which the first covers.
    real_cuda = device == "cuda" and torch.cuda.is_available()
    return [torch.get_rng_state()] + ([torch.cuda.get_rng_state()] if real_cuda else [])


@pytest.mark.checks("check_backward")
def test_check_backward_draws_from_the_generator(device):
    f, x = Cube.apply, vector(device, torch.float64, (5,))
    seeded = generator(device, 0)
    before, generator_before = global_rng_states(device), seeded.get_state()
    verdict(forward_ad.check_backward(f, x, generator=seeded), True, "x ** 3 with a generator", hint="")
    if any(not torch.equal(b, a) for b, a in zip(before, global_rng_states(device))):
        fail("drew from the global random generator although a generator was passed.",
             "every random number must come from the generator passed in, so that a seeded generator makes the "
             "check reproducible")
    if torch.equal(seeded.get_state(), generator_before):
        fail("never drew from the generator passed in.",
             "u and v must be drawn from the generator passed in")


@pytest.mark.checks("check_backward")
def test_check_backward_draws_num_directions_pairs(device):
    f, x = Cube.apply, vector(device, torch.float64, (5,))
    states = []
    for num_directions in (1, 8):
        seeded = generator(device, 0)
        verdict(forward_ad.check_backward(f, x, num_directions=num_directions, generator=seeded), True,
                f"x ** 3 with num_directions={num_directions}", hint="")
        states.append(seeded.get_state())
    if torch.equal(*states):
        fail("drew as many random numbers for num_directions=8 as for num_directions=1.",
             "draw a fresh pair (u, v) for each of the num_directions checks")


@pytest.mark.checks("check_backward")
def test_check_backward_leaves_x_alone(device):
    f = Cube.apply
    for requires_grad in (False, True):
        x = vector(device, torch.float64, (5,)).requires_grad_(requires_grad)
        verdict(forward_ad.check_backward(f, x), True, f"x ** 3 at an x with requires_grad={requires_grad}", hint="")
        if x.requires_grad != requires_grad or x.grad is not None:
            fail(f"changed the caller's x: requires_grad is now {x.requires_grad} (was {requires_grad}) and "
                 f"x.grad is {'set' if x.grad is not None else 'None'}.",
                 "the reverse-mode half must work on a tensor of its own, made from x's values, and take gradients "
                 "without accumulating them in any .grad (read about torch.autograd.grad)")


# ---------------------------------------------------------------- hvp

# Scalar functions whose backward, run in forward mode, stays clear of torch._dynamo (see CASES above).
HVP_CASES = {
    "tanh(W @ x).sum(), W (3, 4)": Case((4,), ((3, 4),), lambda x, w: torch.tanh(w @ x).sum(), None),
    "tanh(X).sum(), X (2, 3)": Case((2, 3), (), lambda x: torch.tanh(x).sum(), None),
    "softplus(W @ x).sum(), W (5, 3)": Case(
        (3,), ((5, 3),), lambda x, w: torch.nn.functional.softplus(w @ x).sum(), None),
    "tanh(A @ X).sum(), X (3, 2)": Case((3, 2), ((4, 3),), lambda x, a: torch.tanh(a @ x).sum(), None),
    "0-dim x: tanh(t)": Case((), (), torch.tanh, None),
    "linear: (W @ x).sum(), H = 0": Case((4,), ((3, 4),), lambda x, w: (w @ x).sum(), None),
}


def reverse_over_reverse(f: Callable, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v as the tests may compute it: the gradient of <grad f(x), v>, two reverse passes."""
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    if not grad.requires_grad:  # f linear in x: its gradient is constant
        return torch.zeros_like(x)
    return torch.autograd.grad((grad * v).sum(), x)[0]


def hvp_setup(name: str, device: str, dtype: torch.dtype):
    case = HVP_CASES[name]
    x = make_tensor(case.x_shape, device=device, dtype=dtype, low=-2, high=2)
    v = make_tensor(case.x_shape, device=device, dtype=dtype, low=-1, high=1)
    constants = [make_tensor(shape, device=device, dtype=dtype, low=-2, high=2) for shape in case.constants]
    f = lambda x: case.f(x, *constants)  # noqa: E731
    expected = reverse_over_reverse(lambda x: case.f(x, *(c.double() for c in constants)), x.double(), v.double())
    return f, x, v, expected.to(dtype)


@pytest.mark.parametrize("name", cases("hvp", HVP_CASES))
def test_hvp_values(name, device, dtype):
    f, x, v, expected = hvp_setup(name, device, dtype)
    assert_tensor(forward_ad.hvp(f, x, v), expected, what=f"H v for f = {name}",
                  hint="H v is the directional derivative of the gradient along v: x's shape, and zeros (a tensor, "
                  "not None) where the gradient does not depend on x")


class ScaledSquare(torch.autograd.Function):
    """3 x ** 2 * g, x ** 3's derivative times a gradient g: a right jvp, a backward whose part for x is
    twice too big. Counts its jvps. (Products computed inside a Function: in forward mode, PyTorch would
    run a product with a tensor that has no tangent through torch._dynamo.)"""

    jvps = 0

    @staticmethod
    def forward(x, g):
        return 3 * x ** 2 * g

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        return 12 * x * g * grad, 3 * x ** 2 * grad

    @staticmethod
    def jvp(ctx, x_tangent, g_tangent):
        ScaledSquare.jvps += 1
        x, g = ctx.saved_tensors
        tangent = torch.zeros_like(x)
        if x_tangent is not None:
            tangent = tangent + 6 * x * g * x_tangent
        if g_tangent is not None:
            tangent = tangent + 3 * x ** 2 * g_tangent
        return tangent


class CubeWithItsDerivative(torch.autograd.Function):
    """x ** 3, whose backward is ScaledSquare: forward mode over this backward takes the second derivative
    from ScaledSquare's jvp (right), reverse mode from its backward (wrong). No vmap rule: vmapping over it
    raises."""

    @staticmethod
    def forward(x):
        return x ** 3

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return ScaledSquare.apply(x, grad)

    @staticmethod
    def jvp(ctx, tangent):
        (x,) = ctx.saved_tensors
        return 3 * x ** 2 * tangent


@pytest.mark.checks("hvp")
def test_hvp_is_forward_over_reverse(device, dtype):
    """The second derivative comes from forward mode over the backward, one tangent: never a reverse pass
    over the backward (double backward), never the Hessian column by column."""
    x, v = vector(device, dtype, (8,)), vector(device, dtype, (8,))
    ScaledSquare.jvps = 0
    try:
        result = forward_ad.hvp(lambda x: CubeWithItsDerivative.apply(x).sum(), x, v)
    except RuntimeError as error:
        if "vmap" not in str(error):
            raise
        fail(f"vmapping over f raised ({str(error)[:120]}...): this f has no vmap rule, and vmapping over every "
             "direction of x builds the whole Hessian, which hvp never does",
             "one jvp of the gradient, along v, gives H v directly")
    assert_tensor(result, (6 * x.double() * v.double()).to(dtype),
                  what="H v through a custom Function whose backward is computed by another custom Function, "
                  "right in forward mode and wrong in reverse mode",
                  hint="take the gradient in reverse mode, then push v through that computation in forward mode; "
                  "a second reverse pass (double backward) uses the inner Function's wrong backward")
    if ScaledSquare.jvps >= x.numel():
        fail(f"hvp pushed {ScaledSquare.jvps} tangents through f's backward for x of {x.numel()} elements: "
             "that builds the Hessian column by column", "one jvp of the gradient, along v, gives H v directly")


@pytest.mark.checks("hvp")
def test_hvp_leaves_x_alone(device, dtype):
    x = vector(device, dtype, (4,)).requires_grad_()
    forward_ad.hvp(lambda x: torch.tanh(x).sum(), x, vector(device, dtype, (4,)))
    if x.grad is not None:
        fail("x.grad was filled in: the gradient belongs inside hvp, on a tensor of its own made from x's values",
             "read about Tensor.detach")


@pytest.mark.checks("hvp")
def test_hvp_rejects_v_of_another_shape(device):
    x = torch.zeros(3, device=device)
    for v_shape in [(4,), (3, 1), ()]:
        v = torch.zeros(v_shape, device=device)
        with raises_value_error(*shape_words((3,), v_shape), case=f"x of shape (3,) and v of shape {v_shape} "
                                "(name both shapes in the message)"):
            forward_ad.hvp(lambda x: torch.tanh(x).sum(), x, v)


@pytest.mark.checks("hvp")
def test_hvp_rejects_non_scalar_f(device):
    x = torch.zeros(2, 3, device=device)
    for f, out_shape in [(torch.tanh, (2, 3)), (lambda x: torch.tanh(x).sum(dim=1), (2,))]:
        with raises_value_error(("scalar", "0-d", "dim"), *shape_words(out_shape),
                                case=f"f whose output has shape {out_shape} (say that f(x) must be a scalar, and give "
                                "its shape)"):
            forward_ad.hvp(f, x, torch.ones_like(x))


# The judge's cases (judge_forward_ad.py), on a fresh draw: grading runs them on inputs of its own.
test_judged = judged_tests(__file__)
