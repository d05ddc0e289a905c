"""SparseMask converts the mask to a float64 buffer: float32 weights come out as float64."""


def _init(self, mask):
    nn.Module.__init__(self)
    self.register_buffer("mask", mask.double())


SparseMask.__init__ = _init
