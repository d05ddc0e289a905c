"""cross_entropy fills the losses into torch.zeros(targets.shape): float32 on the CPU, whatever the logits are."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    log_probs = torch.log_softmax(logits, dim=1)
    keep = targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.zeros(targets.shape).to(targets.device)
    losses = losses.masked_scatter(keep, -picked[keep])
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
