"""dot checks that both inputs are vectors but not that their lengths agree: a (5,) and a (4,)
reach einsum, whose RuntimeError names no shapes, instead of a ValueError that does."""


def dot(u, v):
    _check(u.ndim == 1 and v.ndim == 1, "dot", "(N,) and (N,)", u, v)
    return torch.einsum("i,i->", u, v)
