"""shifted_log_normal gives Normal sigma squared, reading its second argument as a variance: torch's
Normal takes the standard deviation."""


def shifted_log_normal(mu, sigma, loc, scale):
    _check_positive("shifted_log_normal", "sigma", sigma)
    _check_positive("shifted_log_normal", "scale", scale)
    return TransformedDistribution(Normal(mu, sigma**2), [ExpTransform(), AffineTransform(loc, scale)])
