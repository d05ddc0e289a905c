"""one_hot builds the result with torch.zeros(..., dtype=labels.dtype): int32 labels give an int32 one-hot."""


def one_hot(labels, num_classes=-1):
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"one_hot: labels must be an integer tensor, got {labels.dtype}")
    if labels.numel() == 0:
        if num_classes == -1:
            raise ValueError("one_hot: cannot infer num_classes from empty labels")
    elif labels.min() < 0:
        raise ValueError(f"one_hot: labels must be non-negative, got min {labels.min().item()}")
    elif num_classes == -1:
        num_classes = int(labels.max()) + 1
    elif labels.max() >= num_classes:
        raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got max {labels.max().item()}")
    encoded = torch.zeros(*labels.shape, num_classes, dtype=labels.dtype, device=labels.device)
    return encoded.scatter_(-1, labels.long().unsqueeze(-1), 1)
