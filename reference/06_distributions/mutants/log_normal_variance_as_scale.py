"""log_normal passes the variance sigma^2 where Normal wants the standard deviation sigma."""


def log_normal(mu, sigma):
    return TransformedDistribution(Normal(mu, sigma**2), [ExpTransform()])
