"""cross_entropy moves the classes last with permute(0, 2, 3, 1): right for (N, C, H, W) logits only,
while (N, C, d1) logits stay as they are and get flattened with the classes in the wrong place."""


def cross_entropy(logits, targets, reduction="mean", ignore_index=-100):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    classes = logits.shape[1]
    if logits.ndim == 4:  # (N, C, H, W) -> (N, H, W, C): one row of class scores per pixel
        logits = logits.permute(0, 2, 3, 1)
    log_probs = torch.log_softmax(logits.reshape(-1, classes), dim=1)
    flat_targets = targets.reshape(-1)
    keep = flat_targets != ignore_index
    picked = log_probs.gather(1, torch.where(keep, flat_targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, -picked, 0)
    if reduction == "none":
        return losses.view(targets.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()
