"""stable_log_softmax takes the log of a hand-written softmax, exp(x) / sum(exp(x)): inf / inf is nan."""


def stable_log_softmax(x, dim=-1):
    e = x.exp()
    return (e / e.sum(dim, keepdim=True)).log()
