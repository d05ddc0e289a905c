"""SparseMask registers the mask with persistent=False: it moves with .to(), but state_dict never saves it."""


class SparseMask(nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask, persistent=False)

    def forward(self, weight):
        return weight * self.mask
