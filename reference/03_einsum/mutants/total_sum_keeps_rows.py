"""total_sum keeps a letter in the output, so it sums each row instead of everything."""


def total_sum(a):
    _check(a.ndim == 2, "total_sum", "a matrix (I, J)", a)
    return torch.einsum("ij->i", a)
