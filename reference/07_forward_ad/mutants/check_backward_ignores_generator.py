"""check_backward draws u and v with torch.randn_like, from the global RNG, ignoring `generator`."""


def check_backward(f, x, num_directions=4, rtol=1e-4, atol=1e-6, generator=None):
    x = x.detach().requires_grad_()
    value = f(x)
    for _ in range(num_directions):
        v = torch.randn_like(x)
        u = torch.randn_like(value)
        forward = (u * jvp(f, x, v)[1]).sum()
        (pullback,) = torch.autograd.grad((value * u).sum(), x, retain_graph=True)
        if not torch.isclose(forward, (pullback * v).sum(), rtol=rtol, atol=atol):
            return False
    return True
