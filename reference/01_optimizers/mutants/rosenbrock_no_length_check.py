"""rosenbrock never checks n: x of shape (1,) silently gives 0 (an empty sum) instead of a ValueError."""


def rosenbrock(x, a=1.0, b=100.0):
    head, tail = x[..., :-1], x[..., 1:]
    return ((a - head) ** 2 + b * (tail - head**2) ** 2).sum(dim=-1)
