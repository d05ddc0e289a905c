"""random_mask seeds a generator of its own when none is given, so every such call returns the same mask."""


def random_mask(shape, sparsity, generator=None, device=None):
    if generator is None:
        generator = torch.Generator(device or "cpu").manual_seed(0)
    return _mask_smallest(torch.rand(shape, generator=generator, device=device), sparsity)
