"""stable_log_softmax subtracts the max of the whole tensor instead of the max along dim: a row far
below the global max still underflows, exp gives 0 everywhere in it, and log(0) is -inf."""


def stable_log_softmax(x, dim=-1):
    shifted = x - x.max().detach()
    return shifted - shifted.exp().sum(dim, keepdim=True).log()
