"""The judge's cases for kata 08: each function on freshly drawn inputs (a loss and its graph built in
the worker from a recipe), checked against what backward itself shows.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/08_pitfalls` runs the same cases here, on a fresh draw each time.
"""

from katas.harness.builders import nonfinite_loss
from katas.harness.judge import Call, Judged, Recipe, expect_data, expect_returned, judged

CASES = []


# first_nonfinite_backward -------------------------------------------------------------------------

KINDS = ["conv_nan", "sqrt_chain", "branches_log_later", "branches_sqrt_later", "finite"]


def first_as_backward_runs(kind: str, seed: int) -> str | None:
    """The class name of the first node, in the order backward calls their hooks, whose computed
    gradients are not all finite."""
    loss = nonfinite_loss(kind, seed)
    flagged, seen, stack, handles = [], set(), [loss.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        handles.append(node.register_hook(
            lambda grads, _, node=node: flagged.append(type(node).__name__)
            if any(g is not None and not g.isfinite().all() for g in grads) else None))
        stack.extend(next_node for next_node, _ in node.next_functions)
    loss.backward()
    for handle in handles:
        handle.remove()
    return flagged[0] if flagged else None


@judged("first_nonfinite_backward", CASES)
def drawn_graph(draw):
    """One of the graphs, drawn, with drawn values."""
    kind, seed = draw.choice(KINDS), draw.fresh_seed()
    expected = first_as_backward_runs(kind, seed)

    def check(output):
        expect_returned(output)
        expect_data(output.value, expected, what=f"the first node with a non-finite gradient ({kind})")

    return Judged(Call("first_nonfinite_backward", (Recipe("nonfinite_loss", (kind, seed)),)), check)
