"""rosenbrock computes in float64 for accuracy and returns float64 for float32 input."""


def rosenbrock(x, a=1.0, b=100.0):
    if x.ndim == 0 or x.shape[-1] < 2:
        raise ValueError(f"rosenbrock: x needs a last dim of size n >= 2, got shape {tuple(x.shape)}")
    x = x.double()
    head, tail = x[..., :-1], x[..., 1:]
    return ((a - head) ** 2 + b * (tail - head**2) ** 2).sum(dim=-1)
