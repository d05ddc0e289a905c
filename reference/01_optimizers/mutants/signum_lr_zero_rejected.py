"""Signum rejects lr == 0 (checks lr <= 0), although lr 0 is valid (a frozen group, a warmup start)."""


class Signum(Signum):
    def __init__(self, params, lr=1e-3, momentum=0.9, weight_decay=0.0):
        if lr <= 0:
            raise ValueError(f"Signum: lr must be > 0, got {lr}")
        if not 0 <= momentum < 1:
            raise ValueError(f"Signum: momentum must be in [0, 1), got {momentum}")
        if weight_decay < 0:
            raise ValueError(f"Signum: weight_decay must be >= 0, got {weight_decay}")
        torch.optim.Optimizer.__init__(self, params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))
