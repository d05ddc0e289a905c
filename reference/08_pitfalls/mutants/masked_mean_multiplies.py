"""masked_mean multiplies by the mask instead of selecting: right for clean padding, but nan * 0
and inf * 0 are nan, so garbage padding poisons the value (its gradient, mask / count, stays finite)."""


def masked_mean(x, mask, dim):
    if mask.dtype != torch.bool:
        raise ValueError(f"masked_mean: mask must be a bool tensor, got dtype {mask.dtype}")
    if mask.shape != x.shape:
        raise ValueError(f"masked_mean: mask must have x's shape {tuple(x.shape)}, got shape {tuple(mask.shape)}")
    return (x * mask).sum(dim) / mask.sum(dim).clamp_min(1)
