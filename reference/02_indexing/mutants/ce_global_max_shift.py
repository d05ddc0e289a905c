"""cross_entropy stabilizes with the max over the whole tensor, not each position's: rows far below it underflow."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    shifted = logits - logits.max()
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    keep = targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, -picked, 0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
