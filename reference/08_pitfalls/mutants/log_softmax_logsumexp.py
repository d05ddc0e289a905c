"""stable_log_softmax calls torch.logsumexp, which does the lesson's work (a forbidden call)."""


def stable_log_softmax(x, dim=-1):
    return x - torch.logsumexp(x, dim, keepdim=True)
