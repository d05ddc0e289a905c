"""hadamard multiplies with * and never calls einsum."""


def hadamard(a, b):
    _check(a.shape == b.shape, "hadamard", "two tensors of the same shape", a, b)
    return a * b
