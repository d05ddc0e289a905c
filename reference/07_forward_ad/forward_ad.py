"""Kata 07: forward-mode AD. Reference solution: torch.func.jvp, vmapped over directions."""

from typing import Callable

import torch
import torch.autograd.forward_ad as fwAD


def jvp(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Jacobian-vector product in forward mode: returns (f(x), J_f(x) v).

    One pass through f carries x and its tangent v together, so J v costs about one extra
    evaluation of f, whatever the size of f's output, and J itself is never built.

    f maps a tensor to a tensor (any shapes); v has exactly x's shape. The tangent has f(x)'s
    shape, dtype and device, and is all zeros (a tensor, never None) where f(x) does not depend
    on x, e.g. for a constant f.

    Lesson: forward mode means torch.func.jvp or torch.autograd.forward_ad dual tensors.
    torch.autograd.functional.jvp is not forward mode (it runs backward twice) and is off-limits
    here, like every other reverse-mode call.

    Example:
        >>> jvp(torch.sin, torch.zeros(2), torch.tensor([1., 2.]))
        (tensor([0., 0.]), tensor([1., 2.]))

    Raises ValueError naming both shapes if v's shape differs from x's (no broadcasting).
    """
    if v.shape != x.shape:
        raise ValueError(f"jvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    # torch.func.jvp pushes the tangent through f and returns zeros, not None, for outputs that
    # ignore x (forward_ad's unpack_dual would give None there).
    return torch.func.jvp(f, (x,), (v,))


def directional_derivative(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The derivative of a scalar-valued f at x in direction v: grad f(x) . v, as a 0-dim tensor.

    For a scalar f, J is one row (the gradient), so J v is the dot product with v: one forward
    pass, and the gradient itself is never formed. v has x's shape.

    Example:
        >>> directional_derivative(lambda x: (x ** 2).sum(), torch.tensor([1., 2.]), torch.tensor([1., 0.]))
        tensor(2.)

    Raises ValueError naming the shape if f(x) is not a scalar (0-dim) tensor.
    """
    value, derivative = jvp(f, x, v)
    if value.ndim != 0:
        raise ValueError(f"directional_derivative: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
    return derivative


def jacobian_forward(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The full Jacobian of f at x, built in forward mode: shape f(x).shape + x.shape.

    J[i..., j...] is the derivative of f(x)[i...] with respect to x[j...]. Forward mode gives one
    column per pass: J e_j for each basis direction e_j of x's shape, x.numel() passes in all
    (batch them with torch.vmap, or loop). Works for any shapes, 0-dim inputs and outputs too.

    Example:
        >>> jacobian_forward(lambda x: x[:2] * 3, torch.zeros(3))
        tensor([[3., 0., 0.],
                [0., 3., 0.]])

    Lesson: forward mode costs one pass per input element, reverse mode one per output element;
    pick forward mode for wide-and-short Jacobians (few inputs, many outputs).
    """
    n = x.numel()
    basis = torch.eye(n, dtype=x.dtype, device=x.device).reshape(n, *x.shape)
    # vmap runs all n directions as one batched pass; column j comes out along the batch dim.
    columns = torch.vmap(lambda e: jvp(f, x, e)[1])(basis)
    return columns.movedim(0, -1).reshape(columns.shape[1:] + x.shape)


def check_backward(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    num_directions: int = 4,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    generator: torch.Generator | None = None,
) -> bool:
    """The dot-product test: does f's backward (reverse mode) agree with its forward mode at x?

    For num_directions random pairs u (f(x)'s shape) and v (x's shape), drawn with `generator`
    (the global RNG when None), compare <u, J v> from forward mode with <J^T u, v> from reverse
    mode. Both are the same number u^T J v, so a pair that differs by more than
    atol + rtol * |<J^T u, v>| exposes a backward (or jvp) that computes the wrong thing.
    Returns a Python bool: True when every pair agrees. x itself is left alone: no
    requires_grad_ on it, nothing accumulated in x.grad.

    Example:
        >>> check_backward(torch.sin, torch.randn(3))
        True

    Lesson: a custom autograd.Function with a wrong backward (a forgotten transpose, a missing
    factor) trains silently wrong; this test catches it with a few products and no full Jacobian.
    """
    x = x.detach().requires_grad_()
    value = f(x)
    for _ in range(num_directions):
        v = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        u = torch.randn(value.shape, generator=generator, dtype=value.dtype, device=value.device)
        forward = (u * jvp(f, x, v)[1]).sum()
        (pullback,) = torch.autograd.grad((value * u).sum(), x, retain_graph=True)
        if not torch.isclose(forward, (pullback * v).sum(), rtol=rtol, atol=atol):
            return False
    return True


def hvp(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """The Hessian-vector product H_f(x) v of a scalar-valued f, forward-over-reverse: same shape as x.

    Reverse mode gives the gradient of f at x; forward mode then carries the tangent v through that
    computation, and the gradient's tangent is H v: the change of the gradient when x moves along
    v. About the cost of two gradients, whatever the size of x, and the Hessian is never built (not
    as a whole, not column by column). For an f that is linear in x, H v is zeros (a tensor, never
    None).

    Lesson: forward and reverse mode compose: the jvp of a gradient is a second derivative. Forbidden:
    torch.autograd.functional.hvp, vhp and hessian, torch.func.hessian, jacrev and jacfwd.

    Example:
        >>> hvp(lambda x: (x ** 2).sum(), torch.ones(2), torch.tensor([1., 2.]))  # H = 2 I
        tensor([2., 4.])

    Raises ValueError naming both shapes if v's shape differs from x's, and one saying that f(x) must
    be a scalar, with its shape, if f(x) is not 0-dim.
    """
    if v.shape != x.shape:
        raise ValueError(f"hvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    with fwAD.dual_level():
        dual = fwAD.make_dual(x.detach().requires_grad_(), v)
        value = f(dual)
        if value.ndim != 0:
            raise ValueError(f"hvp: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
        # The backward pass runs on dual tensors, so the gradient comes out carrying its tangent, H v.
        # (torch.func.jvp(torch.func.grad(f), (x,), (v,)) is the same in one line, but torch.func.grad
        # imports torch._dynamo on first use: seconds of every run.)
        (grad,) = torch.autograd.grad(value, dual)
        tangent = fwAD.unpack_dual(grad).tangent
    return torch.zeros_like(x) if tangent is None else tangent
