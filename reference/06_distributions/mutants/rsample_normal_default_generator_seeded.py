"""rsample_normal makes its own generator, seeded 0, when none is passed ("for reproducibility"):
every call without a generator returns the very same samples."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    if generator is None:
        generator = torch.Generator(device=mu.device).manual_seed(0)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sigma * eps
