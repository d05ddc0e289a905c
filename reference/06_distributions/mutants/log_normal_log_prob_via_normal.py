"""log_normal_log_prob calls Normal.log_prob (a forbidden call) instead of writing the density out."""


def log_normal_log_prob(y, mu, sigma):
    _check_positive("log_normal_log_prob", "y", y)
    return Normal(mu, sigma).log_prob(torch.log(y)) - torch.log(y)
