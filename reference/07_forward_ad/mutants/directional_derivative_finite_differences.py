"""directional_derivative by a central finite difference in float64, not by forward-mode AD."""


def directional_derivative(f, x, v):
    value = f(x)
    if value.ndim != 0:
        raise ValueError(f"directional_derivative: f(x) must be a scalar (0-dim), got shape {tuple(value.shape)}")
    h = 1e-6
    x64, v64 = x.double(), v.double()
    return ((f(x64 + h * v64).double() - f(x64 - h * v64).double()) / (2 * h)).to(value.dtype)
