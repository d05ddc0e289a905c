"""kl_monte_carlo forgets to pass the generator on to the sampler, so seeding it changes nothing."""


def kl_monte_carlo(mu1, sigma1, mu2, sigma2, num_samples, generator=None):
    x = rsample_normal(mu1, sigma1, (num_samples,))
    return (Normal(mu1, sigma1).log_prob(x) - Normal(mu2, sigma2).log_prob(x)).mean(0)
