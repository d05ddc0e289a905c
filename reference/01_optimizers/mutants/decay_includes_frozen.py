"""decay_param_groups forgets the requires_grad filter, so frozen params go to the optimizer."""


def decay_param_groups(model, weight_decay):
    params = list(model.parameters())
    return [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
