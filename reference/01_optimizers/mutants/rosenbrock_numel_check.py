"""rosenbrock checks x.numel() < 2 instead of the last dim: a batch of 1-D points (4, 1) slips through."""


def rosenbrock(x, a=1.0, b=100.0):
    if x.numel() < 2:
        raise ValueError(f"rosenbrock: x needs a last dim of size n >= 2, got shape {tuple(x.shape)}")
    head, tail = x[..., :-1], x[..., 1:]
    return ((a - head) ** 2 + b * (tail - head**2) ** 2).sum(dim=-1)
