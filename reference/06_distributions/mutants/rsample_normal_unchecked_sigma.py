"""rsample_normal never checks sigma, so sigma <= 0 silently gives degenerate or mirrored samples."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sigma * eps
