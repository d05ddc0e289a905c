"""jvp returns only the tangent J v, not the pair (f(x), J v)."""


def jvp(f, x, v):
    if v.shape != x.shape:
        raise ValueError(f"jvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    return torch.func.jvp(f, (x,), (v,))[1]
