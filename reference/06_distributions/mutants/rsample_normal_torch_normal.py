"""rsample_normal calls torch.normal (a forbidden call, and not differentiable in mu and sigma)."""


def rsample_normal(mu, sigma, sample_shape=(), generator=None):
    _check_positive("rsample_normal", "sigma", sigma)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    shape = torch.Size(sample_shape) + mu.shape
    return torch.normal(mu.expand(shape), sigma.expand(shape), generator=generator)
