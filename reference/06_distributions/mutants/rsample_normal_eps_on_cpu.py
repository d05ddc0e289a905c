"""rsample_normal draws eps with torch.randn(shape, generator=generator, dtype=mu.dtype): no device=, so
on the CPU whatever mu's device (a GPU rejects mu + sigma * eps, and a CUDA generator for a CPU draw)."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype)
    return mu + sigma * eps
