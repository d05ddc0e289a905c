"""init_weights matches the private base classes _ConvNd and _NormBase: ConvTranspose and InstanceNorm get initialized too."""


def init_weights(module, gain=math.sqrt(2.0)):
    if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd)):
        orthogonal_(module.weight, gain)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)):
        if module.weight is not None:
            nn.init.ones_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
