"""transpose reshapes the matrix to (J, I) instead of swapping its letters: the shape is right, but
the elements are read in the old row order, so out[j, i] is not a[i, j]."""


def transpose(a):
    _check(a.ndim == 2, "transpose", "a matrix (I, J)", a)
    return torch.einsum("ij->ij", a).reshape(a.shape[1], a.shape[0])
