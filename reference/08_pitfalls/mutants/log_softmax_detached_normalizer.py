"""stable_log_softmax detaches the whole log-sum-exp term, not just the max: the value is right,
but the gradient is then the identity instead of (1 - softmax)."""


def stable_log_softmax(x, dim=-1):
    m = x.amax(dim, keepdim=True)
    return x - (m + (x - m).exp().sum(dim, keepdim=True).log()).detach()
