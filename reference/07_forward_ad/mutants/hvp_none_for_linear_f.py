"""hvp returns the gradient's tangent as forward mode hands it over: None when the gradient does not
depend on x (f linear in x), where H v is zeros."""


def hvp(f, x, v):
    if v.shape != x.shape:
        raise ValueError(f"hvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    with fwAD.dual_level():
        dual = fwAD.make_dual(x.detach().requires_grad_(), v)
        value = f(dual)
        if value.ndim != 0:
            raise ValueError(f"hvp: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
        (grad,) = torch.autograd.grad(value, dual, create_graph=True)
        return fwAD.unpack_dual(grad).tangent
