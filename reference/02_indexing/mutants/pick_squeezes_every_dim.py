"""pick drops the gathered column with a bare squeeze(), which also drops N when N == 1."""


def pick(probs, targets):
    return probs.gather(1, targets.unsqueeze(1)).squeeze()
