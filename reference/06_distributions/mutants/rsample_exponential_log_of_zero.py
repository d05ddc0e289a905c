"""rsample_exponential takes -log(u) of a torch.rand draw, which is inf when u is exactly 0."""


def rsample_exponential(rate, sample_shape=(), generator=None):
    _check_positive("rsample_exponential", "rate", rate)
    u = torch.rand(torch.Size(sample_shape) + rate.shape, generator=generator, dtype=rate.dtype, device=rate.device)
    return -torch.log(u) / rate
