"""init_weights zeroes module.bias without checking for None: crashes on bias=False and non-affine norms."""


def init_weights(module, gain=math.sqrt(2.0)):
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        orthogonal_(module.weight, gain)
        nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm)):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
