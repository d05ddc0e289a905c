"""The judge's cases for kata 07: jvp, directional derivatives and Jacobians of drawn functions against
their closed forms, also through custom autograd.Functions whose backward is wrong and whose jvp is right
(forward mode must get them right) and a straight-through round (only automatic differentiation sees its
derivative); check_backward's verdict on right and wrong backwards, with the tolerances passed in and on
every pair of directions.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/07_forward_ad` runs the same cases here, on a fresh draw each time.
"""

import torch

from katas.harness.builders import BUILDERS
from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_returned, expect_returned_data, expect_tensor, expect_values, judged,
)

CASES = []


def matrix_input(draw) -> torch.Tensor:
    """x of shape (a, b), both at least 2."""
    return draw.normal(draw.size(2, 3), draw.size(2, 4))


# jvp ----------------------------------------------------------------------------------------------

def pair_case(draw, f: Recipe, x: torch.Tensor, value: torch.Tensor, tangent) -> Judged:
    """jvp(f, x, v) for a v drawn: (f(x), J v), J v computed by ``tangent(v)``."""
    v = draw.normal(*x.shape)
    expected = tangent(v)

    def check(output):
        expect_returned(output)
        if not isinstance(output.value, tuple) or len(output.value) != 2:
            raise Mismatch(f"expected a tuple (f(x), J v), got {output.value!r:.100}")
        expect_tensor(output.value[0], value, what="f(x), the first result")
        expect_tensor(output.value[1], expected, what="J v, the second result")

    return Judged(Call("jvp", (f, x, v)), check)


@judged("jvp", CASES)
def tanh_of_a_linear_map(draw):
    """f(x) = tanh(W @ x), x a vector or a matrix: J v = (1 - tanh(W x)^2) * (W v)."""
    n = draw.size(2, 4)
    x = draw.normal(n, *((draw.size(2, 3),) if draw.size(0, 1) else ()))
    w = draw.normal(draw.size(2, 4), n)
    value = torch.tanh(w @ x)
    return pair_case(draw, Recipe("tanh_affine", (w,)), x, value, lambda v: (1 - value ** 2) * (w @ v))


@judged("jvp", CASES)
def custom_function_with_a_wrong_backward(draw):
    """a @ x as a custom Function whose backward forgets the transpose: forward mode runs its jvp only."""
    a, x = draw.normal(4, 4), draw.normal(4)
    return pair_case(draw, Recipe("matvec_function", (a, "forgets_transpose")), x, a @ x, lambda v: a @ v)


@judged("jvp", CASES)
def straight_through_round(draw):
    """round(x) whose derivative is the identity: J v = v (a finite difference sees round's flat steps)."""
    x = matrix_input(draw)
    return pair_case(draw, Recipe("straight_through_round"), x, torch.round(x), lambda v: v)


@judged("jvp", CASES)
def constant_function(draw):
    """f(x) = c: J v is zeros of c's shape (not None)."""
    c, x = draw.normal(draw.size(1, 4)), draw.normal(draw.size(1, 4))
    return pair_case(draw, Recipe("constant", (c,)), x, c, lambda v: torch.zeros_like(c))


# directional_derivative ---------------------------------------------------------------------------

def derivative_case(draw, f: Recipe, x: torch.Tensor, expected) -> Judged:
    v = draw.normal(*x.shape)
    return Judged(Call("directional_derivative", (f, x, v)), lambda output: expect_values(output, expected(v)))


@judged("directional_derivative", CASES)
def logsumexp_of_a_matrix(draw):
    """f(x) = log(sum(exp(x))): its gradient is softmax(x), so the derivative along v is <softmax(x), v>."""
    x = matrix_input(draw)
    return derivative_case(draw, Recipe("logsumexp"), x, lambda v: (torch.softmax(x.flatten(), 0) * v.flatten()).sum())


@judged("directional_derivative", CASES)
def sum_of_a_custom_cube(draw):
    """f(x) = sum(x^3), the cube a custom Function whose backward forgets the square: <3 x^2, v>."""
    x = draw.normal(draw.size(2, 6))
    return derivative_case(draw, Recipe("summed", ("cube_function", "misses_square")), x,
                           lambda v: (3 * x ** 2 * v).sum())


@judged("directional_derivative", CASES)
def sum_of_a_straight_through_round(draw):
    x = draw.normal(draw.size(2, 6))
    return derivative_case(draw, Recipe("summed", ("straight_through_round",)), x, lambda v: v.sum())


# jacobian_forward ---------------------------------------------------------------------------------

def jacobian_case(f: Recipe, x: torch.Tensor, expected: torch.Tensor) -> Judged:
    return Judged(Call("jacobian_forward", (f, x)), lambda output: expect_values(output, expected))


@judged("jacobian_forward", CASES)
def cumulative_tanh(draw):
    """f(x) = tanh(x).cumsum(-1) on a matrix: d out[i, j] / d x[k, l] = [i == k] [l <= j] (1 - tanh(x[k, l])^2),
    of shape f(x).shape + x.shape."""
    x = matrix_input(draw)
    rows, columns = x.shape
    prefix = torch.ones(columns, columns, dtype=x.dtype).tril()
    expected = torch.einsum("ik,jl,kl->ijkl", torch.eye(rows, dtype=x.dtype), prefix, 1 - torch.tanh(x) ** 2)
    return jacobian_case(Recipe("tanh_cumsum"), x, expected)


@judged("jacobian_forward", CASES)
def custom_function_not_square(draw):
    """a @ x, a (m, n) with m != n, as a custom Function whose backward is wrong: J = a."""
    n = draw.size(2, 4)
    a = draw.normal(n + draw.size(1, 2), n)
    return jacobian_case(Recipe("matvec_function", (a, "forgets_transpose")), draw.normal(n), a)


@judged("jacobian_forward", CASES)
def straight_through_round_of_a_matrix(draw):
    x = matrix_input(draw)
    return jacobian_case(Recipe("straight_through_round"), x, torch.eye(x.numel(), dtype=x.dtype).reshape(x.shape * 2))


@judged("jacobian_forward", CASES)
def constant_of_a_matrix(draw):
    c, x = draw.normal(draw.size(1, 3)), matrix_input(draw)
    return jacobian_case(Recipe("constant", (c,)), x, torch.zeros(c.shape + x.shape, dtype=x.dtype))


# check_backward -----------------------------------------------------------------------------------

def verdict_case(f: Recipe, x: torch.Tensor, expected: bool, **options) -> Judged:
    """check_backward(f, x, **options) is the Python bool ``expected``."""
    return Judged(Call("check_backward", (f, x), options), lambda output: expect_returned_data(output, expected))


@judged("check_backward", CASES)
def right_backward_passes(draw):
    """A function whose backward is right, at a drawn x: True."""
    n = draw.size(2, 5)
    f = draw.choice([Recipe("tanh_affine", (draw.normal(draw.size(2, 4), n),)), Recipe("cube_function", ("right",)),
                     Recipe("matvec_function", (draw.normal(draw.size(2, 4), n), "right"))])
    return verdict_case(f, draw.normal(n), True)


@judged("check_backward", CASES)
def wrong_backward_fails(draw):
    """A custom Function whose backward forgets a transpose or a square (its jvp is right): False."""
    n = draw.size(3, 5)
    f = draw.choice([Recipe("matvec_function", (draw.normal(n, n), "forgets_transpose")),
                     Recipe("cube_function", ("misses_square",))])
    return verdict_case(f, draw.normal(n), False)


@judged("check_backward", CASES)
def slightly_wrong_backward_at_the_default_rtol(draw):
    """A backward 0.1% too large: wrong at the default rtol=1e-4."""
    return verdict_case(Recipe("cube_function", ("off_by_a_thousandth",)), draw.normal(draw.size(2, 6)), False)


@judged("check_backward", CASES)
def slightly_wrong_backward_within_the_rtol_passed(draw):
    """The same backward with rtol=1e-2 passed in: right enough."""
    return verdict_case(Recipe("cube_function", ("off_by_a_thousandth",)), draw.normal(draw.size(2, 6)), True,
                        rtol=1e-2)


# For u, v independent standard normals, |u v| <= 2.18191 with probability 0.95 (the integral of
# erf(t / (|u| sqrt 2)) over u's density, solved for 0.95).
NINETY_FIFTH_PERCENTILE_OF_UV = 2.18191


@judged("check_backward", CASES)
def every_pair_must_agree(draw):
    """At x = 1, the cube whose backward is 0.1% too large gives <u, J v> = 3 u v and <J^T u, v> = 3.003 u v:
    with rtol=0 and atol = 0.003 * 2.18191, a pair agrees with probability 0.95. Among 450 pairs some
    disagree (all agree with probability 0.95^450, 1e-10): False. One pair alone agrees 19 times in 20."""
    atol = 0.003 * NINETY_FIFTH_PERCENTILE_OF_UV
    generator = Recipe("generator", (draw.fresh_seed(),))
    return verdict_case(Recipe("cube_function", ("off_by_a_thousandth",)), torch.ones((), dtype=torch.float64), False,
                        num_directions=450, rtol=0.0, atol=atol, generator=generator)


# hvp ----------------------------------------------------------------------------------------------

def reverse_over_reverse(f, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v as the gradient of <grad f(x), v>: two reverse passes."""
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad((grad * v).sum(), x)[0]


@judged("hvp", CASES)
def tanh_of_an_affine_map(draw):
    """f(x) = sum(tanh(w @ x)) for a drawn w: a Hessian with every entry nonzero."""
    n = draw.size(1, 6)
    recipe = Recipe("summed", ("tanh_affine", draw.normal(draw.size(1, 5), n)))
    x, v = draw.normal(n), draw.normal(n)
    value = reverse_over_reverse(BUILDERS[recipe.name](*recipe.params), x, v)
    return Judged(Call("hvp", (recipe, x, v)), lambda output: expect_values(output, value))
