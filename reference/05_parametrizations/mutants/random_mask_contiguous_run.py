"""random_mask masks a run of consecutive places from a random start: the right count, but the first
and last places are almost never masked."""


def random_mask(shape, sparsity, generator=None, device=None):
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    numel = torch.Size(shape).numel()
    zeros = round(sparsity * numel)
    start = int(torch.randint(numel - zeros + 1, (), generator=generator, device=device))
    places = torch.arange(numel, device=device)
    return ((places < start) | (places >= start + zeros)).view(shape)
