"""random_mask drops each entry with probability `sparsity` (rand() < sparsity): right on average,
never an exact count."""


def random_mask(shape, sparsity, generator=None, device=None):
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    return torch.rand(shape, generator=generator, device=device) >= sparsity
