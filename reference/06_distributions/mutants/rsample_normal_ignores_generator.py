"""rsample_normal draws eps from the global random state and ignores the generator argument."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, dtype=mu.dtype, device=mu.device)
    return mu + sigma * eps
