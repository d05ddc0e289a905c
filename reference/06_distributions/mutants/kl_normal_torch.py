"""kl_normal calls torch.distributions.kl_divergence (a forbidden call)."""


def kl_normal(mu1, sigma1, mu2, sigma2):
    return torch.distributions.kl_divergence(Normal(mu1, sigma1), Normal(mu2, sigma2))
