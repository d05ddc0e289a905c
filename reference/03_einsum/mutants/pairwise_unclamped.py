"""pairwise_sq_dists expands |x - y|^2 without clamping, so rounding leaves negative distances."""


def pairwise_sq_dists(x, y):
    _check(x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[1], "pairwise_sq_dists", "(N, D) and (M, D)", x, y)
    x_sq = torch.einsum("nd,nd->n", x, x)
    y_sq = torch.einsum("md,md->m", y, y)
    return x_sq[:, None] - 2 * torch.einsum("nd,md->nm", x, y) + y_sq[None, :]
