"""first_nonfinite_backward looks at the gradients a node receives (grad_outputs) instead of those it
computes (grad_inputs): it names the node after the one where the nan is born."""


def first_nonfinite_backward(loss):
    first = []

    def watch(node):
        def hook(grad_inputs, grad_outputs):
            if not first and any(g is not None and not g.isfinite().all() for g in grad_outputs):
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
