"""log_normal builds the Normal from detached parameters, so rsample carries no gradient to mu and sigma."""


def log_normal(mu, sigma):
    return TransformedDistribution(Normal(mu.detach(), sigma.detach()), [ExpTransform()])
