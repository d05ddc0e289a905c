"""regression_loss flattens both sides but never checks y: a y of shape (1,) broadcasts silently."""


def regression_loss(x, w, y):
    return torch.linalg.vector_norm((x @ w).reshape(-1) - y.reshape(-1))
