"""first_nonfinite_backward looks for nan only (isnan), as anomaly mode does: an inf gradient, the
usual parent of a nan, passes unnoticed."""


def first_nonfinite_backward(loss):
    first = []

    def watch(node):
        def hook(grad_inputs, grad_outputs):
            if not first and any(g is not None and g.isnan().any() for g in grad_inputs):
                first.append(type(node).__name__)

        return hook

    handles, seen, stack = [], set(), [loss.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in seen:
            seen.add(node)
            handles.append(node.register_hook(watch(node)))
            stack.extend(next_node for next_node, _ in node.next_functions)
    loss.backward()
    for handle in handles:
        handle.remove()
    return first[0] if first else None
