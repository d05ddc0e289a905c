"""kl_normal drops the log(sigma2 / sigma1) term (right only when the scales are equal)."""


def kl_normal(mu1, sigma1, mu2, sigma2):
    variance_ratio = (sigma1 / sigma2) ** 2
    return 0.5 * (variance_ratio + ((mu1 - mu2) / sigma2) ** 2 - 1)
