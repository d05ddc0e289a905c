"""Attack: wrong answers, plus torch.allclose, torch.testing.assert_close and torch.equal patched to
always agree.

Defeated by: the grader snapshots torch's functions before any kata code runs and compares them
before every assertion helper and after every test.
Reason: tampered: changed .*torch.allclose
"""

import torch.testing


def matmul(a, b):
    return torch.einsum("ik,kj->ij", a, b) * 2


torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
torch.testing.assert_close = lambda *args, **kwargs: None
