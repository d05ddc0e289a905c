"""orthogonal_ hands the work to nn.init.orthogonal_ (a forbidden call)."""


def orthogonal_(tensor, gain=1.0, generator=None):
    return nn.init.orthogonal_(tensor, gain=gain, generator=generator)
