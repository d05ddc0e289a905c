"""random_mask draws from the global RNG and ignores `generator`: a seed does not replay the mask."""


def random_mask(shape, sparsity, generator=None, device=None):
    return _mask_smallest(torch.rand(shape, device=device), sparsity)
