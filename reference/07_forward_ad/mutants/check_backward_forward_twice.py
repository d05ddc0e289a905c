"""check_backward compares forward mode with itself (<u, J v> both sides): always True."""


def check_backward(f, x, num_directions=4, rtol=1e-4, atol=1e-6, generator=None):
    value = f(x)
    for _ in range(num_directions):
        v = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        u = torch.randn(value.shape, generator=generator, dtype=value.dtype, device=value.device)
        forward = (u * jvp(f, x, v)[1]).sum()
        again = (jvp(f, x, v)[1] * u).sum()
        if not torch.isclose(forward, again, rtol=rtol, atol=atol):
            return False
    return True
