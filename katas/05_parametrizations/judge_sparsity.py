"""The judge's cases for kata 05: the parametrizations through what they must be and survive: their
forward, a registered parametrization, an assigned weight, a few steps of training.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/05_parametrizations` runs the same cases here, on a fresh draw each
time.
"""

import torch

from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_grads, expect_returned, expect_structure, expect_tensor, expect_values,
    expected_grads, judged,
)

CASES = []


# Orthogonal ---------------------------------------------------------------------------------------

def cayley(X: torch.Tensor) -> torch.Tensor:
    """(I - A) times the inverse of (I + A), A from X's strict upper triangle minus its transpose."""
    upper = torch.where(torch.ones_like(X, dtype=torch.bool).triu(1), X, 0)
    A = upper - upper.mT
    eye = torch.eye(X.shape[0], dtype=X.dtype)
    return (eye - A) @ torch.linalg.inv(eye + A)


@judged("Orthogonal", CASES)
def cayley_map(draw):
    n = draw.size(2, 6)
    X, cotangent = draw.normal(n, n), draw.normal(n, n)
    value, grads = cayley(X), expected_grads(cayley, (X,), (0,), cotangent)

    def check(output):
        expect_values(output, value, rtol=1e-10, atol=1e-12)
        expect_grads(output, grads, ["X"], rtol=1e-10, atol=1e-12)

    return Judged(Call("Orthogonal", (X,), grads=(0,), cotangent=cotangent, scenario=Recipe("forward")), check)


def expect_orthogonal(weight, n: int, what: str) -> None:
    expect_structure(weight, (n, n), torch.float64, what=what)
    expect_tensor(weight.mT @ weight, torch.eye(n, dtype=torch.float64), what=f"W.mT @ W for {what}",
                  rtol=1e-10, atol=1e-12)


@judged("Orthogonal", CASES)
def registered_assigned_trained(draw):
    """Registered on a square layer's (not orthogonal) weight, an orthogonal matrix without the eigenvalue
    -1 assigned to it, five steps of training towards a map far from orthogonal: orthogonal throughout,
    the assigned matrix read back."""
    n = draw.size(2, 5)
    spec = ("Linear", (n, n), {}, draw.fresh_seed())
    Q = cayley(draw.normal(n, n))
    x = draw.normal(8, n)

    def check(output):
        expect_returned(output)
        expect_orthogonal(output.value["registered"], n, "layer.weight after registering")
        expect_tensor(output.value["assigned"], Q, what="layer.weight after layer.weight = Q (Q orthogonal)",
                      rtol=1e-10, atol=1e-12)
        expect_orthogonal(output.value["trained"], n, "layer.weight after 5 steps of training")
        if torch.equal(output.value["trained"], output.value["assigned"]):
            raise Mismatch("5 steps of training left layer.weight as it was: the gradient must reach the original")

    scenario = Recipe("parametrized_weight", (Q, x, x @ (3 * draw.normal(n, n)), 5))
    return Judged(Call("Orthogonal", (Recipe("module", spec),), scenario=scenario), check)
