"""orthogonal_ hands the work to the deprecated alias nn.init.orthogonal (forbidden as well)."""


def orthogonal_(tensor, gain=1.0, generator=None):
    return nn.init.orthogonal(tensor, gain=gain)
