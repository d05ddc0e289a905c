"""rsample_exponential clamps u to [1e-3, 1) to dodge log(0): no sample above -log(1e-3) / rate."""


def rsample_exponential(rate, sample_shape=(), generator=None):
    _check_positive("rsample_exponential", "rate", rate)
    u = torch.rand(torch.Size(sample_shape) + rate.shape, generator=generator, dtype=rate.dtype, device=rate.device)
    return -torch.log(u.clamp(min=1e-3)) / rate
