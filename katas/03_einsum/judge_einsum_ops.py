"""The judge's cases for kata 03: each function on freshly drawn shapes and values, its result and
the gradients of every input, compared with the same maths written without einsum.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/03_einsum` runs the same cases here, on a fresh draw each time.
"""

import torch
import torch.nn.functional as F

from katas.harness.judge import Call, Draw, Judged, expect_grads, expect_values, expected_grads, judged

CASES = []


def contraction(draw: Draw, function: str, shapes: list[tuple[int, ...]], expected) -> Judged:
    """``function`` on normal inputs of these shapes: its value, and the gradient of every input
    for a random cotangent."""
    args = tuple(draw.normal(*shape) for shape in shapes)
    value = expected(*args)
    cotangent = draw.normal(*value.shape)
    positions = tuple(range(len(args)))
    grads = expected_grads(expected, args, positions, cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, grads, [f"input {n}" for n in positions])

    return Judged(Call(function, args, grads=positions, cotangent=cotangent), check)


@judged("transpose", CASES)
def matrix_transposed(draw):
    return contraction(draw, "transpose", [(draw.size(1, 6), draw.size(1, 6))], lambda a: a.T.clone())


@judged("total_sum", CASES)
def every_element(draw):
    return contraction(draw, "total_sum", [(draw.size(1, 6), draw.size(1, 6))], torch.sum)


@judged("dot", CASES)
def two_vectors(draw):
    n = draw.size(1, 8)
    return contraction(draw, "dot", [(n,), (n,)], torch.dot)


@judged("matmul", CASES)
def shapes_drawn(draw):
    i, k, j = draw.size(1, 6), draw.size(1, 6), draw.size(1, 6)
    return contraction(draw, "matmul", [(i, k), (k, j)], torch.matmul)


@judged("batched_matmul", CASES)
def batched(draw):
    b, i, k, j = draw.size(1, 4), draw.size(1, 5), draw.size(1, 5), draw.size(1, 5)
    return contraction(draw, "batched_matmul", [(b, i, k), (b, k, j)], torch.bmm)


@judged("hadamard", CASES)
def elementwise(draw):
    shape = tuple(draw.size(1, 5) for _ in range(draw.size(1, 3)))
    return contraction(draw, "hadamard", [shape, shape], torch.mul)


@judged("outer", CASES)
def vectors(draw):
    return contraction(draw, "outer", [(draw.size(1, 6),), (draw.size(1, 6),)], torch.outer)


@judged("row_sums", CASES)
def rows(draw):
    return contraction(draw, "row_sums", [(draw.size(1, 6), draw.size(1, 6))], lambda a: a.sum(dim=1))


@judged("trace", CASES)
def square(draw):
    n = draw.size(1, 6)
    return contraction(draw, "trace", [(n, n)], torch.trace)


@judged("diagonal", CASES)
def square_diagonal(draw):
    n = draw.size(1, 6)
    return contraction(draw, "diagonal", [(n, n)], lambda a: torch.diagonal(a).clone())


@judged("linear", CASES)
def leading_dims(draw):
    lead = tuple(draw.size(1, 3) for _ in range(draw.size(0, 2)))
    i, o = draw.size(1, 6), draw.size(1, 6)
    return contraction(draw, "linear", [(*lead, i), (o, i)], F.linear)


@judged("bilinear", CASES)
def two_sides(draw):
    b, i, o, j = draw.size(1, 4), draw.size(1, 4), draw.size(1, 4), draw.size(1, 4)
    return contraction(draw, "bilinear", [(b, i), (o, i, j), (b, j)], lambda x, w, y: F.bilinear(x, y, w))


@judged("attention_scores", CASES)
def heads(draw):
    b, h, t, s, d = draw.size(1, 3), draw.size(1, 3), draw.size(1, 4), draw.size(1, 4), draw.size(2, 9)
    return contraction(draw, "attention_scores", [(b, h, t, d), (b, h, s, d)],
                       lambda q, k: q @ k.transpose(-1, -2) * d ** -0.5)


@judged("pairwise_sq_dists", CASES)
def points(draw):
    n, m, d = draw.size(1, 5), draw.size(1, 5), draw.size(1, 5)
    return contraction(draw, "pairwise_sq_dists", [(n, d), (m, d)],
                       lambda x, y: ((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))
