"""magnitude_mask keeps abs(weight) > k-th smallest magnitude: every entry tied at the cut is masked
too, so with ties the count is wrong."""


def magnitude_mask(weight, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    magnitude = weight.detach().abs()
    zeros = round(sparsity * weight.numel())
    if zeros == 0:
        return torch.ones_like(magnitude, dtype=torch.bool)
    return magnitude > magnitude.flatten().kthvalue(zeros).values
