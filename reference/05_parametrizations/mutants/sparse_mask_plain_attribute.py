"""SparseMask keeps the mask as a plain attribute, so .to() leaves it behind and state_dict never saves it."""


def _init(self, mask):
    nn.Module.__init__(self)
    self.mask = mask


SparseMask.__init__ = _init
