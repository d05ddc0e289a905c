"""init_weights sets `bias.data = torch.zeros(n)`: a CPU float32 tensor, whatever the model's device and dtype."""


def init_weights(module, gain=math.sqrt(2.0)):
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        orthogonal_(module.weight, gain)
        if module.bias is not None:
            module.bias.data = torch.zeros(module.bias.shape[0])
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm)):
        if module.weight is not None:
            module.weight.data = torch.ones(module.weight.shape)
        if module.bias is not None:
            module.bias.data = torch.zeros(module.bias.shape)
