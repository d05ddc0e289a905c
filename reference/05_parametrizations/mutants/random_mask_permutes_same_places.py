"""random_mask shuffles with randperm but keeps the first k places of the *mask* False, then permutes rows only."""
import math


def random_mask(shape, sparsity, generator=None, device=None):
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    numel = math.prod(shape)
    zeros = round(sparsity * numel)
    mask = torch.ones(numel, dtype=torch.bool, device=device)
    mask[:zeros] = False
    mask = mask.view(shape)
    return mask[torch.randperm(shape[0], generator=generator, device=device)]
