"""shifted_log_normal lists the transforms the other way round, affine first: Y = exp(loc + scale * X),
a log-normal again, not a shifted and scaled one."""


def shifted_log_normal(mu, sigma, loc, scale):
    _check_positive("shifted_log_normal", "sigma", sigma)
    _check_positive("shifted_log_normal", "scale", scale)
    return TransformedDistribution(Normal(mu, sigma), [AffineTransform(loc, scale), ExpTransform()])
