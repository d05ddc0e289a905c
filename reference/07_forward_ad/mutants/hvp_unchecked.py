"""hvp checks nothing: a v of another shape fails inside forward mode with torch's own RuntimeError,
and a non-scalar f(x) fails in autograd.grad ("grad can be implicitly created only for scalar
outputs"), neither a ValueError that says what is wrong."""


def hvp(f, x, v):
    with fwAD.dual_level():
        dual = fwAD.make_dual(x.detach().requires_grad_(), v)
        (grad,) = torch.autograd.grad(f(dual), dual, create_graph=True)
        tangent = fwAD.unpack_dual(grad).tangent
    return torch.zeros_like(x) if tangent is None else tangent.detach()
