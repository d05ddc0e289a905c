"""log_normal_log_prob forgets the change-of-variables term -log y: it returns log N(log y; mu, sigma)."""


def log_normal_log_prob(y, mu, sigma):
    _check_positive("log_normal_log_prob", "y", y)
    z = (torch.log(y) - mu) / sigma
    return -0.5 * z**2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi)
