"""jacobian_forward stacks the columns as rows: shape x.shape + f(x).shape, the transposed layout."""


def jacobian_forward(f, x):
    n = x.numel()
    basis = torch.eye(n, dtype=x.dtype, device=x.device).reshape(n, *x.shape)
    columns = torch.vmap(lambda e: jvp(f, x, e)[1])(basis)
    return columns.reshape(x.shape + columns.shape[1:])
