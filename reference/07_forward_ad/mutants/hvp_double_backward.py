"""hvp takes the second derivative in reverse mode too: the gradient of <grad f(x), v>, a second
backward pass (double backward) instead of forward mode over the first."""


def hvp(f, x, v):
    if v.shape != x.shape:
        raise ValueError(f"hvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    x = x.detach().requires_grad_()
    value = f(x)
    if value.ndim != 0:
        raise ValueError(f"hvp: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
    (grad,) = torch.autograd.grad(value, x, create_graph=True)
    if not grad.requires_grad:
        return torch.zeros_like(x)
    return torch.autograd.grad((grad * v).sum(), x)[0]
