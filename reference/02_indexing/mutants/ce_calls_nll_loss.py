"""cross_entropy hands the log-probabilities to F.nll_loss (a forbidden call)."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    log_probs = torch.log_softmax(logits, dim=1)
    return torch.nn.functional.nll_loss(log_probs, targets, reduction=reduction, ignore_index=ignore_index)
