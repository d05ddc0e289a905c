"""cross_entropy computes log(exp(x) / sum(exp(x))) directly: exp(1e4) overflows to inf, giving nan."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    exps = logits.exp()
    log_probs = (exps / exps.sum(dim=1, keepdim=True)).log()
    keep = targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, -picked, 0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
