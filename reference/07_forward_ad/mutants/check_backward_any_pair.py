"""check_backward returns True when any pair agrees (any(...), not all(...)): a backward that is wrong
only in some directions slips through whenever one random pair happens to hide it."""


def check_backward(f, x, num_directions=4, rtol=1e-4, atol=1e-6, generator=None):
    x = x.detach().requires_grad_()
    value = f(x)
    agree = []
    for _ in range(num_directions):
        v = torch.randn(x.shape, generator=generator, dtype=x.dtype, device=x.device)
        u = torch.randn(value.shape, generator=generator, dtype=value.dtype, device=value.device)
        forward = (u * jvp(f, x, v)[1]).sum()
        (pullback,) = torch.autograd.grad((value * u).sum(), x, retain_graph=True)
        agree.append(bool(torch.isclose(forward, (pullback * v).sum(), rtol=rtol, atol=atol)))
    return any(agree)
