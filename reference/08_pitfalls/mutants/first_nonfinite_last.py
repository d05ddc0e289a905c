"""first_nonfinite_backward keeps overwriting its answer, so it names the last node with a
non-finite gradient, the one nearest the leaves, not the one where the trouble starts."""


def first_nonfinite_backward(loss):
    found = [None]

    def watch(node):
        def hook(grad_inputs, grad_outputs):
            if any(g is not None and not g.isfinite().all() for g in grad_inputs):
                found[0] = type(node).__name__

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
    return found[0]
