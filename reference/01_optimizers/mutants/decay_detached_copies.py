"""decay_param_groups lists p.detach() copies, so the optimizer would step tensors the model never uses."""


def decay_param_groups(model, weight_decay):
    trainable = [p.detach() for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]
