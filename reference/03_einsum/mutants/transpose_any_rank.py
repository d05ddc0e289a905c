"""transpose swaps the last two dims of a tensor of any rank: a (2, 3, 4) input, which is no matrix,
is answered instead of rejected."""


def transpose(a):
    _check(a.ndim >= 2, "transpose", "a matrix (I, J)", a)
    return torch.einsum("...ij->...ji", a)
