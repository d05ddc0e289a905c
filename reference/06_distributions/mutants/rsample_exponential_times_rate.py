"""rsample_exponential multiplies by the rate instead of dividing: it samples Exponential(1 / rate)."""


def rsample_exponential(rate, sample_shape=(), generator=None):
    _check_positive("rsample_exponential", "rate", rate)
    u = torch.rand(torch.Size(sample_shape) + rate.shape, generator=generator, dtype=rate.dtype, device=rate.device)
    return -torch.log1p(-u) * rate
