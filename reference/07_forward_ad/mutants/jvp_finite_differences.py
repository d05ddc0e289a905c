"""jvp takes a central finite difference (f(x + h v) - f(x - h v)) / 2h in float64: the textbook
directional derivative, accurate enough for smooth f, but no automatic differentiation at all (it
never runs a custom Function's jvp rule)."""


def jvp(f, x, v):
    if v.shape != x.shape:
        raise ValueError(f"jvp: v must have x's shape {tuple(x.shape)}, got v of shape {tuple(v.shape)}")
    h = 1e-6
    value = f(x)
    x64, v64 = x.double(), v.double()
    tangent = (f(x64 + h * v64).double() - f(x64 - h * v64).double()) / (2 * h)
    return value, tangent.to(value.dtype)
