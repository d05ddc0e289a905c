"""rsample_normal uses uniform noise scaled to mean 0 and variance 1, (u - 1/2) * sqrt(12), instead of
normal noise: the right mean, variance and gradients, but the samples are not normal."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    u = torch.rand(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sigma * (u - 0.5) * math.sqrt(12)
