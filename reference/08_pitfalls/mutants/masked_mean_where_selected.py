"""masked_mean selects with torch.where (so padding is harmless) but divides by the raw count:
an empty row is 0 / 0 = nan."""


def masked_mean(x, mask, dim):
    if mask.dtype != torch.bool:
        raise ValueError(f"masked_mean: mask must be a bool tensor, got dtype {mask.dtype}")
    if mask.shape != x.shape:
        raise ValueError(f"masked_mean: mask must have x's shape {tuple(x.shape)}, got shape {tuple(mask.shape)}")
    return torch.where(mask, x, 0).sum(dim) / mask.sum(dim)
