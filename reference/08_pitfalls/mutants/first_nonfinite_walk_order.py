"""first_nonfinite_backward records which nodes computed a non-finite gradient, then answers with the
first of them in the order its own walk over the graph met them, not the order backward ran them."""


def first_nonfinite_backward(loss):
    flagged = set()

    def watch(node):
        def hook(grad_inputs, grad_outputs):
            if any(g is not None and not g.isfinite().all() for g in grad_inputs):
                flagged.add(node)

        return hook

    walked, handles, seen, queue = [], [], set(), [loss.grad_fn]
    while queue:
        node = queue.pop(0)
        if node is not None and node not in seen:
            seen.add(node)
            walked.append(node)
            handles.append(node.register_hook(watch(node)))
            queue.extend(next_node for next_node, _ in node.next_functions)
    loss.backward()
    for handle in handles:
        handle.remove()
    return next((type(node).__name__ for node in walked if node in flagged), None)
