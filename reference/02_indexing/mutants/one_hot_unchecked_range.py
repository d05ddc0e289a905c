"""one_hot never checks the label range: negative or too-large labels raise scatter_'s RuntimeError."""


def one_hot(labels, num_classes=-1):
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"one_hot: labels must be an integer tensor, got {labels.dtype}")
    if labels.numel() == 0 and num_classes == -1:
        raise ValueError("one_hot: cannot infer num_classes from empty labels")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1
    encoded = torch.zeros(*labels.shape, num_classes, dtype=torch.int64, device=labels.device)
    return encoded.scatter_(-1, labels.long().unsqueeze(-1), 1)
