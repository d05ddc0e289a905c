"""regression_loss fixes only the target side with y.view(-1, 1): right for w (D, 1), but w (D,)
makes x @ w (N,), and (N,) - (N, 1) broadcasts to (N, N) again."""


def regression_loss(x, w, y):
    if y.numel() != x.shape[0]:
        raise ValueError(f"regression_loss: y must hold one target per row of x (N = {x.shape[0]}), got {tuple(y.shape)}")
    return torch.linalg.vector_norm(x @ w - y.view(-1, 1))
