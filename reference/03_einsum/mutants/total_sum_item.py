"""total_sum rebuilds its result from a Python float: the autograd graph is cut, and the dtype
falls back to the default float32."""


def total_sum(a):
    _check(a.ndim == 2, "total_sum", "a matrix (I, J)", a)
    return torch.tensor(torch.einsum("ij->", a).item(), device=a.device)
