"""matmul writes the output letters in the wrong order ('ik,kj->ji'): it returns (a @ b).T, of shape (J, I)."""


def matmul(a, b):
    _check(a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0], "matmul", "(I, K) and (K, J)", a, b)
    return torch.einsum("ik,kj->ji", a, b)
