"""rsample_exponential never checks the rate, so rate <= 0 gives negative or infinite samples."""


def rsample_exponential(rate, sample_shape=(), generator=None):
    u = torch.rand(torch.Size(sample_shape) + rate.shape, generator=generator, dtype=rate.dtype, device=rate.device)
    return -torch.log1p(-u) / rate
