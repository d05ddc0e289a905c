"""random_mask starts from torch.ones(numel, dtype=torch.bool), on the CPU whatever `device` says, and
knocks out the places its scores (drawn on `device`) pick."""


def random_mask(shape, sparsity, generator=None, device=None):
    scores = torch.rand(shape, generator=generator, device=device)
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    mask = torch.ones(scores.numel(), dtype=torch.bool)
    mask[scores.flatten().argsort()[:round(sparsity * scores.numel())]] = False
    return mask.view(scores.shape)
