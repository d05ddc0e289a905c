"""one_hot accepts only int64 labels (like F.one_hot): int32 or uint8 class indices are refused."""


def one_hot(labels, num_classes=-1):
    if labels.dtype != torch.int64:
        raise ValueError(f"one_hot: labels must be int64, got {labels.dtype}")
    if labels.numel() == 0:
        if num_classes == -1:
            raise ValueError("one_hot: cannot infer num_classes from empty labels")
    elif labels.min() < 0:
        raise ValueError(f"one_hot: labels must be non-negative, got min {labels.min().item()}")
    elif num_classes == -1:
        num_classes = int(labels.max()) + 1
    elif labels.max() >= num_classes:
        raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got max {labels.max().item()}")
    encoded = torch.zeros(*labels.shape, num_classes, dtype=torch.int64, device=labels.device)
    return encoded.scatter_(-1, labels.unsqueeze(-1), 1)
