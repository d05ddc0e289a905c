"""stable_log_softmax ignores dim and always normalizes over the last dim."""


def stable_log_softmax(x, dim=-1):
    shifted = x - x.amax(-1, keepdim=True).detach()
    return shifted - shifted.exp().sum(-1, keepdim=True).log()
