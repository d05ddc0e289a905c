"""kl_monte_carlo samples from the second distribution N(mu2, sigma2) instead of the first."""


def kl_monte_carlo(mu1, sigma1, mu2, sigma2, num_samples, generator=None):
    x = rsample_normal(mu2, sigma2, (num_samples,), generator)
    return (Normal(mu1, sigma1).log_prob(x) - Normal(mu2, sigma2).log_prob(x)).mean(0)
