"""sparsify_ with method="random" forgets to pass the generator on, so a seed does not replay the mask."""


def sparsify_(module, sparsity, name="weight", method="magnitude", generator=None):
    if method not in ("magnitude", "random"):
        raise ValueError(f'method must be "magnitude" or "random", got {method!r}')
    weight = getattr(module, name)
    if method == "magnitude":
        mask = magnitude_mask(weight, sparsity)
    else:
        mask = random_mask(weight.shape, sparsity, device=weight.device)
    parametrize.register_parametrization(module, name, SparseMask(mask))
    return module
