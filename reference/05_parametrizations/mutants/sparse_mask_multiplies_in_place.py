"""SparseMask.forward multiplies the weight in place (weight.mul_(mask)): it overwrites the trained original."""


class SparseMask(nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)

    def forward(self, weight):
        with torch.no_grad():
            weight.mul_(self.mask)
        return weight
