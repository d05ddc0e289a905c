"""The range check is written `sparsity < 0 or sparsity > 1`, which NaN passes: round(nan) then fails
with a message that never names `sparsity`."""


def _mask_smallest(scores, sparsity):
    if sparsity < 0 or sparsity > 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    zeros = round(sparsity * scores.numel())
    mask = torch.ones(scores.numel(), dtype=torch.bool, device=scores.device)
    mask[scores.flatten().argsort()[:zeros]] = False
    return mask.view(scores.shape)
