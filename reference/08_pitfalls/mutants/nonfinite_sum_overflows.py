"""nonfinite_grads tests the sum of each gradient: it finds every nan and inf, but a sum of large
finite values overflows to inf and flags healthy gradients."""


def nonfinite_grads(module):
    return [name for name, p in module.named_parameters() if p.grad is not None and not p.grad.sum().isfinite()]
