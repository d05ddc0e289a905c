"""magnitude_mask masks the largest magnitudes instead of the smallest."""


def magnitude_mask(weight, sparsity):
    return _mask_smallest(-weight.detach().abs(), sparsity)
