"""rsample_exponential draws one uniform per sample and shares it across all rates: correlated outputs."""


def rsample_exponential(rate, sample_shape=(), generator=None):
    _check_positive("rsample_exponential", "rate", rate)
    u = torch.rand(torch.Size(sample_shape) + (1,) * rate.ndim, generator=generator, dtype=rate.dtype,
                   device=rate.device)
    return -torch.log1p(-u) / rate
