"""Attack: make every Tensor comparison true by patching Tensor.__eq__ and Tensor.all.

Defeated by: the snapshot of torch.Tensor's and TensorBase's attributes.
Reason: tampered: changed torch.
"""

torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
torch.Tensor.all = lambda self, *args, **kwargs: torch.tensor(True)
