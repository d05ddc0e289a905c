"""sparsify_ checks `method` only after registering a mask: the ValueError comes, but the layer is already parametrized."""


def sparsify_(module, sparsity, name="weight", method="magnitude", generator=None):
    weight = getattr(module, name)
    mask = magnitude_mask(weight, sparsity)
    parametrize.register_parametrization(module, name, SparseMask(mask))
    if method == "random":
        parametrize.remove_parametrizations(module, name, leave_parametrized=False)
        mask = random_mask(weight.shape, sparsity, generator=generator, device=weight.device)
        parametrize.register_parametrization(module, name, SparseMask(mask))
    elif method != "magnitude":
        raise ValueError(f"sparsify_: unknown method {method!r}")
    return module
