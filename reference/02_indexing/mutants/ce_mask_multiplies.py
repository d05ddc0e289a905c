"""cross_entropy zeroes ignored targets by multiplying the per-target losses with the mask (a new
student's way): every value is right, but when every target is ignored the mean's gradient is nan
(0 * inf on the way back through 0 / 0), where F.cross_entropy's is zero."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    log_probs = torch.log_softmax(logits, dim=1)
    keep = targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = -picked * keep
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
