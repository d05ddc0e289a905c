"""cross_entropy takes torch.softmax(...).log(): softmax underflows to 0 for logits of magnitude 1e4, log(0) = -inf."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    log_probs = torch.softmax(logits, dim=1).log()
    keep = targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, -picked, 0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
