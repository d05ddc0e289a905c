"""The number of zeros is int(sparsity * numel), which floors: 0.3 * 12 = 3.6 gives 3, not 4."""


def _mask_smallest(scores, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    zeros = int(sparsity * scores.numel())
    mask = torch.ones(scores.numel(), dtype=torch.bool, device=scores.device)
    mask[scores.flatten().argsort()[:zeros]] = False
    return mask.view(scores.shape)
