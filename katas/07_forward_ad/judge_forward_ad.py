"""The judge's cases for kata 07: each function on freshly drawn inputs and functions (built in the
worker from a recipe), checked against the same derivatives computed in reverse mode.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/07_forward_ad` runs the same cases here, on a fresh draw each time.
"""

import torch

from katas.harness.builders import BUILDERS
from katas.harness.judge import Call, Judged, Recipe, expect_values, judged

CASES = []


# hvp ----------------------------------------------------------------------------------------------

def reverse_over_reverse(f, x: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """H v as the gradient of <grad f(x), v>: two reverse passes."""
    x = x.detach().requires_grad_()
    (grad,) = torch.autograd.grad(f(x), x, create_graph=True)
    return torch.autograd.grad((grad * v).sum(), x)[0]


@judged("hvp", CASES)
def tanh_of_an_affine_map(draw):
    """f(x) = sum(tanh(w @ x)) for a drawn w: a Hessian with every entry nonzero."""
    n = draw.size(1, 6)
    recipe = Recipe("summed", ("tanh_affine", draw.normal(draw.size(1, 5), n)))
    x, v = draw.normal(n), draw.normal(n)
    value = reverse_over_reverse(BUILDERS[recipe.name](*recipe.params), x, v)
    return Judged(Call("hvp", (recipe, x, v)), lambda output: expect_values(output, value))
