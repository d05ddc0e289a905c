"""one_hot checks labels.min() before looking at numel: empty labels with num_classes given raise RuntimeError."""


def one_hot(labels, num_classes=-1):
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"one_hot: labels must be an integer tensor, got {labels.dtype}")
    if labels.min() < 0:
        raise ValueError(f"one_hot: labels must be non-negative, got min {labels.min().item()}")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1
    elif labels.max() >= num_classes:
        raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got max {labels.max().item()}")
    encoded = torch.zeros(*labels.shape, num_classes, dtype=torch.int64, device=labels.device)
    return encoded.scatter_(-1, labels.long().unsqueeze(-1), 1)
