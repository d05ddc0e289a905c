"""check_backward sets requires_grad on the caller's x and calls .backward(), which leaves x.grad
set and accumulates it over the directions (never zeroed)."""


def check_backward(f, x, num_directions=4, rtol=1e-4, atol=1e-6, generator=None):
    x.requires_grad_()
    value = f(x)
    for _ in range(num_directions):
        v = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        u = torch.randn(value.shape, generator=generator, dtype=value.dtype, device=value.device)
        forward = (u * jvp(f, x.detach(), v)[1]).sum()
        (value * u).sum().backward(retain_graph=True)
        if not torch.isclose(forward, (x.grad * v).sum(), rtol=rtol, atol=atol):
            return False
    return True
