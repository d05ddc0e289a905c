"""rsample_normal scales eps by the variance sigma^2 instead of the standard deviation sigma."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sigma**2 * eps
