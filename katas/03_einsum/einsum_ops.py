"""Kata 03: einsum. Replace each `raise NotImplementedError` with your solution.

Read the lesson first: README.md in this folder (по-русски: README.ru.md).
Then check yourself with: pytest katas/03_einsum
"""

import torch


def transpose(a: torch.Tensor) -> torch.Tensor:
    """Transpose of a matrix: (I, J) -> (J, I), out[j, i] = a[i, j].

    Lesson: the output's letters, in the order you write them, are the output's dims.

    Example:
        >>> transpose(torch.tensor([[1., 2., 3.]]))
        tensor([[1.],
                [2.],
                [3.]])

    Raises ValueError naming the shape unless `a` is 2-D.
    """
    raise NotImplementedError


def total_sum(a: torch.Tensor) -> torch.Tensor:
    """Sum of every element of a matrix: (I, J) -> a 0-dim tensor.

    Lesson: a letter missing from the output is summed over, and the output may have no letter at all.

    Example:
        >>> total_sum(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(10.)

    Raises ValueError naming the shape unless `a` is 2-D.
    """
    raise NotImplementedError


def dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Dot product of two vectors of the same length: (N,) and (N,) -> a 0-dim tensor.

    Lesson: a letter shared by the inputs is multiplied along; left out of the output, it is summed.

    Example:
        >>> dot(torch.tensor([1., 2., 3.]), torch.tensor([4., 5., 6.]))
        tensor(32.)

    Raises ValueError naming both shapes unless both are 1-D of the same length.
    """
    raise NotImplementedError


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Matrix product: (I, K) and (K, J) -> (I, J).

    Lesson: a letter shared by the inputs and missing from the output is summed over.

    Example:
        >>> matmul(torch.tensor([[1., 2.]]), torch.tensor([[3.], [4.]]))
        tensor([[11.]])

    Raises ValueError naming both shapes if they do not fit (not 2-D, or K differs).
    """
    raise NotImplementedError


def batched_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A batch of matrix products: (B, I, K) and (B, K, J) -> (B, I, J).

    Lesson: a letter kept in the output (the batch b) is carried along, not summed.

    Example:
        >>> batched_matmul(torch.ones(2, 1, 3), torch.ones(2, 3, 1)).shape
        torch.Size([2, 1, 1])

    Raises ValueError naming both shapes if they do not fit (not 3-D, or B or K differs).
    """
    raise NotImplementedError


def hadamard(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise product of two tensors of the same shape, any number of dims.

    Lesson: a letter in every input and in the output is multiplied elementwise; "..." stands for
    however many dims there are.

    Example:
        >>> hadamard(torch.tensor([1., 2.]), torch.tensor([3., 4.]))
        tensor([3., 8.])

    Raises ValueError naming both shapes if they differ: no broadcasting here.
    """
    raise NotImplementedError


def outer(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Outer product of two vectors: (I,) and (J,) -> (I, J), out[i, j] = u[i] * v[j].

    Example:
        >>> outer(torch.tensor([1., 2.]), torch.tensor([1., 10., 100.]))
        tensor([[  1.,  10., 100.],
                [  2.,  20., 200.]])

    Raises ValueError naming both shapes unless both are 1-D.
    """
    raise NotImplementedError


def row_sums(a: torch.Tensor) -> torch.Tensor:
    """Sum of each row: (I, J) -> (I,).

    Lesson: a letter missing from the output is summed over, even with a single input.

    Example:
        >>> row_sums(torch.tensor([[1., 2.], [3., 4.]]))
        tensor([3., 7.])

    Raises ValueError naming the shape unless `a` is 2-D.
    """
    raise NotImplementedError


def trace(a: torch.Tensor) -> torch.Tensor:
    """Trace of a square matrix: (N, N) -> 0-dim tensor, the sum of the diagonal.

    Lesson: a letter repeated within one input walks its diagonal.

    Example:
        >>> trace(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(5.)

    Raises ValueError naming the shape unless `a` is square.
    """
    raise NotImplementedError


def diagonal(a: torch.Tensor) -> torch.Tensor:
    """Diagonal of a square matrix: (N, N) -> (N,).

    Example:
        >>> diagonal(torch.tensor([[1., 2.], [3., 4.]]))
        tensor([1., 4.])

    Raises ValueError naming the shape unless `a` is square.
    """
    raise NotImplementedError


def linear(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """A linear layer without bias: (..., I) and (O, I) -> (..., O), equal to F.linear(x, w).

    Any number of leading dims, none included: x of shape (I,) gives (O,).

    Example:
        >>> linear(torch.ones(4, 7, 3), torch.ones(5, 3)).shape
        torch.Size([4, 7, 5])

    Raises ValueError naming both shapes if `w` is not 2-D or the I dims differ.
    """
    raise NotImplementedError


def bilinear(x: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A bilinear form per output: (B, I), (O, I, J), (B, J) -> (B, O),
    out[b, o] = sum over i, j of x[b, i] * w[o, i, j] * y[b, j].

    Equal to F.bilinear(x, y, w) without bias (mind that argument order). Lesson: one einsum
    contracts three operands at once.

    Example:
        >>> bilinear(torch.ones(2, 3), torch.ones(5, 3, 4), torch.ones(2, 4))
        tensor([[12., 12., 12., 12., 12.],
                [12., 12., 12., 12., 12.]])

    Raises ValueError naming all three shapes if B, I or J do not match.
    """
    raise NotImplementedError


def attention_scores(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Scaled dot-product attention scores: (B, H, T, D) and (B, H, S, D) -> (B, H, T, S),
    out[b, h, t, s] = (q[b, h, t] . k[b, h, s]) * D ** -0.5.

    The inputs are left untouched: scale the scores, not `q` in place.

    Example:
        >>> attention_scores(torch.ones(1, 1, 2, 4), torch.ones(1, 1, 3, 4))
        tensor([[[[2., 2., 2.],
                  [2., 2., 2.]]]])

    Raises ValueError naming both shapes if B, H or D differ (or either is not 4-D).
    """
    raise NotImplementedError


def pairwise_sq_dists(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between every row of x and every row of y:
    (N, D) and (M, D) -> (N, M), out[n, m] = |x[n] - y[m]|^2, never negative.

    Example:
        >>> pairwise_sq_dists(torch.tensor([[0., 0.]]), torch.tensor([[3., 4.], [0., 1.]]))
        tensor([[25.,  1.]])

    Raises ValueError naming both shapes unless both are 2-D with the same D.
    """
    raise NotImplementedError
