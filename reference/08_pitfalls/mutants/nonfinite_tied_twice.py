"""nonfinite_grads walks named_modules() and each module's own parameters: a weight shared by two
modules (tied embeddings) is then listed twice, unlike named_parameters(), which lists it once."""


def nonfinite_grads(module):
    names = []
    for prefix, sub in module.named_modules():
        for name, p in sub.named_parameters(recurse=False):
            if p.grad is not None and not p.grad.isfinite().all():
                names.append(f"{prefix}.{name}" if prefix else name)
    return names
