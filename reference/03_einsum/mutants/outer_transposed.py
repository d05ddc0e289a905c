"""outer writes 'i,j->ji': out[j, i] = u[i] * v[j], the transpose of the outer product."""


def outer(u, v):
    _check(u.ndim == 1 and v.ndim == 1, "outer", "two vectors (I,) and (J,)", u, v)
    return torch.einsum("i,j->ji", u, v)
