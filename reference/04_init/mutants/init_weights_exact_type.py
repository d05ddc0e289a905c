"""init_weights matches `type(module) in (...)` instead of isinstance: subclasses of Linear (MultiheadAttention's out_proj) are skipped."""


def init_weights(module, gain=math.sqrt(2.0)):
    if type(module) in (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d):
        orthogonal_(module.weight, gain)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif type(module) in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm):
        if module.weight is not None:
            nn.init.ones_(module.weight)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
