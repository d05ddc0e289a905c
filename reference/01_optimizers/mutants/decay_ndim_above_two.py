"""decay_param_groups decays ndim > 2 only (conv kernels), forgetting that Linear weights are 2-D."""


def decay_param_groups(model, weight_decay):
    trainable = [p for p in model.parameters() if p.requires_grad]
    return [
        {"params": [p for p in trainable if p.ndim > 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim <= 2], "weight_decay": 0.0},
    ]
