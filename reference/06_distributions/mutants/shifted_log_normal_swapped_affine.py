"""shifted_log_normal passes AffineTransform its arguments the other way round, (scale, loc): Y = scale +
loc * exp(X)."""


def shifted_log_normal(mu, sigma, loc, scale):
    _check_positive("shifted_log_normal", "sigma", sigma)
    _check_positive("shifted_log_normal", "scale", scale)
    return TransformedDistribution(Normal(mu, sigma), [ExpTransform(), AffineTransform(scale, loc)])
