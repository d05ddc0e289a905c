"""kl_normal computes KL(N2 || N1): the arguments swapped, as if KL were symmetric."""


def kl_normal(mu1, sigma1, mu2, sigma2):
    variance_ratio = (sigma2 / sigma1) ** 2
    return 0.5 * (variance_ratio + ((mu2 - mu1) / sigma1) ** 2 - 1 - torch.log(variance_ratio))
