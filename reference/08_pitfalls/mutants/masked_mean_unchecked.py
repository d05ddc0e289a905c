"""masked_mean never checks the mask: a (N, 1) mask broadcasts silently, a float mask breaks where()."""


def masked_mean(x, mask, dim):
    return torch.where(mask.bool(), x, 0).sum(dim) / mask.bool().expand_as(x).sum(dim).clamp_min(1)
