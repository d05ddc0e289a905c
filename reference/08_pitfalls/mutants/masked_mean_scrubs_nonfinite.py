"""masked_mean scrubs x with nan_to_num before multiplying by the mask: the padding's nan and inf
are gone, but so are a nan or inf in the kept entries, which should show in the result."""


def masked_mean(x, mask, dim):
    if mask.dtype != torch.bool:
        raise ValueError(f"masked_mean: mask must be a bool tensor, got dtype {mask.dtype}")
    if mask.shape != x.shape:
        raise ValueError(f"masked_mean: mask must have x's shape {tuple(x.shape)}, got shape {tuple(mask.shape)}")
    return (x.nan_to_num(0.0, 0.0, 0.0) * mask).sum(dim) / mask.sum(dim).clamp_min(1)
