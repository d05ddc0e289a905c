"""nonfinite_grads checks only for nan and misses inf and -inf."""


def nonfinite_grads(module):
    return [name for name, p in module.named_parameters() if p.grad is not None and p.grad.isnan().any()]
