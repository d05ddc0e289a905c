"""init_weights assigns new nn.Parameters instead of filling the existing ones in place."""


def init_weights(module, gain=math.sqrt(2.0)):
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        module.weight = nn.Parameter(orthogonal_(torch.empty_like(module.weight), gain))
        if module.bias is not None:
            module.bias = nn.Parameter(torch.zeros_like(module.bias))
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm)):
        if module.weight is not None:
            module.weight = nn.Parameter(torch.ones_like(module.weight))
        if module.bias is not None:
            module.bias = nn.Parameter(torch.zeros_like(module.bias))
