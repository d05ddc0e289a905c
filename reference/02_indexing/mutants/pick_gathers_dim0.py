"""pick gathers along dim 0 with a (1, N) index: out[j] = probs[targets[j], j], rows and columns swapped."""


def pick(probs, targets):
    return probs.gather(0, targets.unsqueeze(0)).squeeze(0)
