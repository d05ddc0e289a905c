"""sparsify_ hands the work to torch.nn.utils.prune (forward hooks, weight_orig), a forbidden call."""


def sparsify_(module, sparsity, name="weight", method="magnitude", generator=None):
    if method not in ("magnitude", "random"):
        raise ValueError(f'method must be "magnitude" or "random", got {method!r}')
    import torch.nn.utils.prune as prune

    if method == "magnitude":
        prune.l1_unstructured(module, name, amount=sparsity)
    else:
        prune.random_unstructured(module, name, amount=sparsity)
    return module
