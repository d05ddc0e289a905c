"""nonfinite_grads forgets that a parameter may have no gradient: p.grad is None crashes."""


def nonfinite_grads(module):
    return [name for name, p in module.named_parameters() if not p.grad.isfinite().all()]
