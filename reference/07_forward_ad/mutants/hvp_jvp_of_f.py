"""hvp pushes v through f itself rather than through its gradient: the result is the directional
derivative grad f(x) . v, a first derivative and a scalar, not H v."""


def hvp(f, x, v):
    if v.shape != x.shape:
        raise ValueError(f"hvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    value, tangent = torch.func.jvp(f, (x,), (v,))
    if value.ndim != 0:
        raise ValueError(f"hvp: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
    return tangent
