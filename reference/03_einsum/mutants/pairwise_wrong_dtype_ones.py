"""pairwise_sq_dists sums squares by contracting with torch.ones(D): a float32 tensor, which
einsum refuses to mix with float64 inputs."""


def pairwise_sq_dists(x, y):
    _check(x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[1], "pairwise_sq_dists", "(N, D) and (M, D)", x, y)
    ones = torch.ones(x.shape[1], device=x.device)
    x_sq = torch.einsum("nd,d->n", x * x, ones)
    y_sq = torch.einsum("md,d->m", y * y, ones)
    return (x_sq[:, None] - 2 * torch.einsum("nd,md->nm", x, y) + y_sq[None, :]).clamp_min(0)
