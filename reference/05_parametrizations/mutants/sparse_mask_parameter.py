"""SparseMask stores the mask as an nn.Parameter (requires_grad=False): saved and moved, but handed
to every optimizer as if it were trained."""


def _init(self, mask):
    nn.Module.__init__(self)
    self.mask = nn.Parameter(mask, requires_grad=False)


SparseMask.__init__ = _init
