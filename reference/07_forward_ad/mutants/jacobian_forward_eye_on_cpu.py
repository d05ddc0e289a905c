"""jacobian_forward builds its basis with torch.eye(n, dtype=x.dtype): no device=, so on the CPU whatever
x's device."""


def jacobian_forward(f, x):
    n = x.numel()
    basis = torch.eye(n, dtype=x.dtype).reshape(n, *x.shape)
    columns = torch.vmap(lambda e: jvp(f, x, e)[1])(basis)
    return columns.movedim(0, -1).reshape(columns.shape[1:] + x.shape)
