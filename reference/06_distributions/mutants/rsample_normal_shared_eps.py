"""rsample_normal draws eps for mu's shape only and lets broadcasting reuse it across sigma's dims:
the right shape and marginals, but outputs in one row are perfectly correlated."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sigma * eps
