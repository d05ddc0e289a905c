"""No shape validation at all: mismatched inputs raise einsum's RuntimeError, not a ValueError."""


def _check(ok, function, expected, *tensors):
    pass
