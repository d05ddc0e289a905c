"""hvp builds the Hessian column by column, one forward-over-reverse product per direction of x, and
multiplies it by v: right values, at the cost of x.numel() products instead of one."""


def hvp(f, x, v):
    if v.shape != x.shape:
        raise ValueError(f"hvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    n = x.numel()
    columns = []
    for direction in torch.eye(n, dtype=x.dtype, device=x.device):
        with fwAD.dual_level():
            dual = fwAD.make_dual(x.detach().requires_grad_(), direction.reshape(x.shape))
            value = f(dual)
            if value.ndim != 0:
                raise ValueError(f"hvp: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
            (grad,) = torch.autograd.grad(value, dual, create_graph=True)
            tangent = fwAD.unpack_dual(grad).tangent
        columns.append(torch.zeros(n, dtype=x.dtype, device=x.device) if tangent is None else tangent.reshape(n))
    hessian = torch.stack(columns, dim=1)
    return (hessian @ v.reshape(n)).reshape(x.shape).detach()
