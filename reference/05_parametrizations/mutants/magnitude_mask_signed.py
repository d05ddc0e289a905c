"""magnitude_mask ranks by the signed weight, so large negative weights are masked first."""


def magnitude_mask(weight, sparsity):
    return _mask_smallest(weight.detach(), sparsity)
