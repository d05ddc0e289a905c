"""dot gives the two vectors different letters, so nothing pairs them up: the result is
sum(u) * sum(v), and vectors of different lengths go through."""


def dot(u, v):
    _check(u.ndim == 1 and v.ndim == 1, "dot", "(N,) and (N,)", u, v)
    return torch.einsum("i,j->", u, v)
