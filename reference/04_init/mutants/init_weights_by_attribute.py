"""init_weights picks modules by having a 2-D+ `weight`, not by type: the Embedding gets overwritten."""


def init_weights(module, gain=math.sqrt(2.0)):
    weight, bias = getattr(module, "weight", None), getattr(module, "bias", None)
    if isinstance(weight, torch.Tensor) and weight.ndim >= 2:
        orthogonal_(weight, gain)
    elif isinstance(weight, torch.Tensor):
        nn.init.ones_(weight)
    if isinstance(bias, torch.Tensor):
        nn.init.zeros_(bias)
