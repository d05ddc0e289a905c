"""kl_monte_carlo detaches its samples: the estimate is right, but its gradient no longer estimates KL's."""


def kl_monte_carlo(mu1, sigma1, mu2, sigma2, num_samples, generator=None):
    x = rsample_normal(mu1, sigma1, (num_samples,), generator).detach()
    return (Normal(mu1, sigma1).log_prob(x) - Normal(mu2, sigma2).log_prob(x)).mean(0)
