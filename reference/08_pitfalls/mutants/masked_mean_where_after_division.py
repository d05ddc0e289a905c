"""masked_mean multiplies by the mask, divides by the count, then hides 0 / 0 with torch.where:
the value of an empty row is 0, but its gradient is nan (0 * d(total / 0))."""


def masked_mean(x, mask, dim):
    if mask.dtype != torch.bool:
        raise ValueError(f"masked_mean: mask must be a bool tensor, got dtype {mask.dtype}")
    if mask.shape != x.shape:
        raise ValueError(f"masked_mean: mask must have x's shape {tuple(x.shape)}, got shape {tuple(mask.shape)}")
    count = mask.sum(dim)
    total = (x * mask).sum(dim)
    return torch.where(count > 0, total / count, 0)
