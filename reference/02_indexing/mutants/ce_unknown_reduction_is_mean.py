"""cross_entropy treats any reduction other than "none" and "sum" as "mean" instead of raising."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    log_probs = torch.log_softmax(logits, dim=1)
    keep = targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, -picked, 0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
