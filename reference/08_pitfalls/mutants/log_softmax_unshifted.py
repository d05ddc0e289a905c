"""stable_log_softmax computes x - log(sum(exp(x))) without subtracting the max: exp(1e4) is inf."""


def stable_log_softmax(x, dim=-1):
    return x - x.exp().sum(dim, keepdim=True).log()
