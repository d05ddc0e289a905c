"""shifted_log_normal leaves the checks to torch: Normal's validation rejects sigma <= 0 with a message
about its own "scale", and nothing rejects scale <= 0 (AffineTransform takes any scale, a negative one
turning the distribution around)."""


def shifted_log_normal(mu, sigma, loc, scale):
    return TransformedDistribution(Normal(mu, sigma), [ExpTransform(), AffineTransform(loc, scale)])
