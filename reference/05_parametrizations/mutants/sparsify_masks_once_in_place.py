"""sparsify_ zeroes the weight once in place instead of registering a parametrization: the optimizer
(momentum, weight decay, Adam) grows the zeros back."""


def sparsify_(module, sparsity, name="weight", method="magnitude", generator=None):
    if method not in ("magnitude", "random"):
        raise ValueError(f'method must be "magnitude" or "random", got {method!r}')
    weight = getattr(module, name)
    if method == "magnitude":
        mask = magnitude_mask(weight, sparsity)
    else:
        mask = random_mask(weight.shape, sparsity, generator=generator, device=weight.device)
    with torch.no_grad():
        weight.mul_(mask)
    return module
