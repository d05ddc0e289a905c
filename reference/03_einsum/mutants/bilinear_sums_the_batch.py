"""bilinear leaves the batch letter out of the output ('bi,oij,bj->o'): one score per output, summed
over the batch, instead of one per (batch, output) pair."""


def bilinear(x, w, y):
    _check(
        x.ndim == 2 and w.ndim == 3 and y.ndim == 2 and x.shape[0] == y.shape[0]
        and x.shape[1] == w.shape[1] and y.shape[1] == w.shape[2],
        "bilinear", "(B, I), (O, I, J) and (B, J)", x, w, y,
    )
    return torch.einsum("bi,oij,bj->o", x, w, y)
