"""sparsify_ always sparsifies module.weight, whatever `name` says."""


def sparsify_(module, sparsity, name="weight", method="magnitude", generator=None):
    if method not in ("magnitude", "random"):
        raise ValueError(f'method must be "magnitude" or "random", got {method!r}')
    weight = module.weight
    if method == "magnitude":
        mask = magnitude_mask(weight, sparsity)
    else:
        mask = random_mask(weight.shape, sparsity, generator=generator, device=weight.device)
    parametrize.register_parametrization(module, "weight", SparseMask(mask))
    return module
