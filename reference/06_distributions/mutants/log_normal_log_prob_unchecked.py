"""log_normal_log_prob never checks y, so y <= 0 returns nan instead of raising ValueError."""


def log_normal_log_prob(y, mu, sigma):
    log_y = torch.log(y)
    z = (log_y - mu) / sigma
    return -0.5 * z**2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi) - log_y
