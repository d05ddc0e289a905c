"""sparsify_ treats every method other than "magnitude" as "random" instead of raising ValueError."""


def sparsify_(module, sparsity, name="weight", method="magnitude", generator=None):
    weight = getattr(module, name)
    if method == "magnitude":
        mask = magnitude_mask(weight, sparsity)
    else:
        mask = random_mask(weight.shape, sparsity, generator=generator, device=weight.device)
    parametrize.register_parametrization(module, name, SparseMask(mask))
    return module
