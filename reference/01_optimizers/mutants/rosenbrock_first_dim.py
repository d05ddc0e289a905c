"""rosenbrock slices the first dim (x[1:], x[:-1]) and sums everything: right for one point, wrong for a batch."""


def rosenbrock(x, a=1.0, b=100.0):
    if x.ndim == 0 or x.shape[-1] < 2:
        raise ValueError(f"rosenbrock: x needs a last dim of size n >= 2, got shape {tuple(x.shape)}")
    return ((a - x[:-1]) ** 2 + b * (x[1:] - x[:-1] ** 2) ** 2).sum()
