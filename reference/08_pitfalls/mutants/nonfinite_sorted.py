"""nonfinite_grads returns the right names, but sorted alphabetically instead of in named_parameters() order."""


def nonfinite_grads(module):
    return sorted(name for name, p in module.named_parameters() if p.grad is not None and not p.grad.isfinite().all())
