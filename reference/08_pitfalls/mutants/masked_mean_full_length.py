"""masked_mean divides by the full length along dim instead of by the number of True entries."""


def masked_mean(x, mask, dim):
    if mask.dtype != torch.bool:
        raise ValueError(f"masked_mean: mask must be a bool tensor, got dtype {mask.dtype}")
    if mask.shape != x.shape:
        raise ValueError(f"masked_mean: mask must have x's shape {tuple(x.shape)}, got shape {tuple(mask.shape)}")
    return torch.where(mask, x, 0).sum(dim) / x.shape[dim]
