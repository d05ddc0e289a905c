"""check_backward draws its directions with torch.randn(shape, generator=generator, dtype=x.dtype): no
device=, so on the CPU whatever x's device."""


def check_backward(f, x, num_directions=4, rtol=1e-4, atol=1e-6, generator=None):
    x = x.detach().requires_grad_()
    value = f(x)
    for _ in range(num_directions):
        v = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        u = torch.randn(value.shape, generator=generator, dtype=value.dtype)
        forward = (u * jvp(f, x, v)[1]).sum()
        (pullback,) = torch.autograd.grad((value * u).sum(), x, retain_graph=True)
        if not torch.isclose(forward, (pullback * v).sum(), rtol=rtol, atol=atol):
            return False
    return True
