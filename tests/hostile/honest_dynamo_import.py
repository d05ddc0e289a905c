"""Honest habit: kata code whose first call imports torch._dynamo, as torch.func.grad does (an hvp
written the torch.func way) and a built-in optimizer's step: the import rebinds torch.manual_seed.

Handled by: the zygote imports torch._dynamo before any job's tamper snapshot, so the rebinding is
part of what the snapshot holds, and the kata keeps its points.
Score: full
"""

_reference_trace = trace


def trace(a):
    torch.func.grad(lambda t: torch.einsum("i,i->", t, t))(torch.ones(2))
    return _reference_trace(a)
