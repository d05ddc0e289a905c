"""matmul uses the @ operator instead of einsum (a forbidden call)."""


def matmul(a, b):
    _check(a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0], "matmul", "(I, K) and (K, J)", a, b)
    return a @ b
