"""Kata 03: einsum. Reference solution: every function is one einsum behind a shape check."""

import torch


def _check(ok: bool, function: str, expected: str, *tensors: torch.Tensor) -> None:
    # einsum's own error names no shapes; the caller deserves both.
    if not ok:
        shapes = " and ".join(str(tuple(t.shape)) for t in tensors)
        raise ValueError(f"{function}: expected {expected}, got shapes {shapes}")


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
    _check(a.ndim == 2, "transpose", "a matrix (I, J)", a)
    return torch.einsum("ij->ji", a)


def total_sum(a: torch.Tensor) -> torch.Tensor:
    """Sum of every element of a matrix: (I, J) -> a 0-dim tensor.

    Lesson: a letter missing from the output is summed over, and the output may have no letter at all.

    Example:
        >>> total_sum(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(10.)

    Raises ValueError naming the shape unless `a` is 2-D.
    """
    _check(a.ndim == 2, "total_sum", "a matrix (I, J)", a)
    return torch.einsum("ij->", a)


def dot(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Dot product of two vectors of the same length: (N,) and (N,) -> a 0-dim tensor.

    Lesson: a letter shared by the inputs is multiplied along; left out of the output, it is summed.

    Example:
        >>> dot(torch.tensor([1., 2., 3.]), torch.tensor([4., 5., 6.]))
        tensor(32.)

    Raises ValueError naming both shapes unless both are 1-D of the same length.
    """
    _check(u.ndim == 1 and v.ndim == 1 and u.shape == v.shape, "dot", "(N,) and (N,)", u, v)
    return torch.einsum("i,i->", u, v)


def matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Matrix product: (I, K) and (K, J) -> (I, J).

    Lesson: a letter shared by the inputs and missing from the output is summed over.

    Example:
        >>> matmul(torch.tensor([[1., 2.]]), torch.tensor([[3.], [4.]]))
        tensor([[11.]])

    Raises ValueError naming both shapes if they do not fit (not 2-D, or K differs).
    """
    _check(a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0], "matmul", "(I, K) and (K, J)", a, b)
    return torch.einsum("ik,kj->ij", a, b)


def batched_matmul(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """A batch of matrix products: (B, I, K) and (B, K, J) -> (B, I, J).

    Lesson: a letter kept in the output (the batch b) is carried along, not summed.

    Example:
        >>> batched_matmul(torch.ones(2, 1, 3), torch.ones(2, 3, 1)).shape
        torch.Size([2, 1, 1])

    Raises ValueError naming both shapes if they do not fit (not 3-D, or B or K differs).
    """
    _check(
        a.ndim == 3 and b.ndim == 3 and a.shape[0] == b.shape[0] and a.shape[2] == b.shape[1],
        "batched_matmul", "(B, I, K) and (B, K, J)", a, b,
    )
    return torch.einsum("bik,bkj->bij", a, b)


def hadamard(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Elementwise product of two tensors of the same shape, any number of dims.

    Lesson: a letter in every input and in the output is multiplied elementwise; "..." stands for
    however many dims there are.

    Example:
        >>> hadamard(torch.tensor([1., 2.]), torch.tensor([3., 4.]))
        tensor([3., 8.])

    Raises ValueError naming both shapes if they differ: no broadcasting here.
    """
    _check(a.shape == b.shape, "hadamard", "two tensors of the same shape", a, b)
    return torch.einsum("...,...->...", a, b)


def outer(u: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Outer product of two vectors: (I,) and (J,) -> (I, J), out[i, j] = u[i] * v[j].

    Example:
        >>> outer(torch.tensor([1., 2.]), torch.tensor([1., 10., 100.]))
        tensor([[  1.,  10., 100.],
                [  2.,  20., 200.]])

    Raises ValueError naming both shapes unless both are 1-D.
    """
    _check(u.ndim == 1 and v.ndim == 1, "outer", "two vectors (I,) and (J,)", u, v)
    return torch.einsum("i,j->ij", u, v)


def row_sums(a: torch.Tensor) -> torch.Tensor:
    """Sum of each row: (I, J) -> (I,).

    Lesson: a letter missing from the output is summed over, even with a single input.

    Example:
        >>> row_sums(torch.tensor([[1., 2.], [3., 4.]]))
        tensor([3., 7.])

    Raises ValueError naming the shape unless `a` is 2-D.
    """
    _check(a.ndim == 2, "row_sums", "a matrix (I, J)", a)
    return torch.einsum("ij->i", a)


def trace(a: torch.Tensor) -> torch.Tensor:
    """Trace of a square matrix: (N, N) -> 0-dim tensor, the sum of the diagonal.

    Lesson: a letter repeated within one input walks its diagonal.

    Example:
        >>> trace(torch.tensor([[1., 2.], [3., 4.]]))
        tensor(5.)

    Raises ValueError naming the shape unless `a` is square.
    """
    _check(a.ndim == 2 and a.shape[0] == a.shape[1], "trace", "a square matrix (N, N)", a)
    return torch.einsum("ii->", a)


def diagonal(a: torch.Tensor) -> torch.Tensor:
    """Diagonal of a square matrix: (N, N) -> (N,).

    Example:
        >>> diagonal(torch.tensor([[1., 2.], [3., 4.]]))
        tensor([1., 4.])

    Raises ValueError naming the shape unless `a` is square.
    """
    _check(a.ndim == 2 and a.shape[0] == a.shape[1], "diagonal", "a square matrix (N, N)", a)
    return torch.einsum("ii->i", a)


def linear(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """A linear layer without bias: (..., I) and (O, I) -> (..., O), equal to F.linear(x, w).

    Any number of leading dims, none included: x of shape (I,) gives (O,).

    Example:
        >>> linear(torch.ones(4, 7, 3), torch.ones(5, 3)).shape
        torch.Size([4, 7, 5])

    Raises ValueError naming both shapes if `w` is not 2-D or the I dims differ.
    """
    _check(x.ndim >= 1 and w.ndim == 2 and x.shape[-1] == w.shape[1], "linear", "(..., I) and (O, I)", x, w)
    return torch.einsum("...i,oi->...o", x, w)


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
    _check(
        x.ndim == 2 and w.ndim == 3 and y.ndim == 2 and x.shape[0] == y.shape[0]
        and x.shape[1] == w.shape[1] and y.shape[1] == w.shape[2],
        "bilinear", "(B, I), (O, I, J) and (B, J)", x, w, y,
    )
    return torch.einsum("bi,oij,bj->bo", x, w, y)


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
    _check(
        q.ndim == 4 and k.ndim == 4 and q.shape[:2] == k.shape[:2] and q.shape[3] == k.shape[3],
        "attention_scores", "(B, H, T, D) and (B, H, S, D)", q, k,
    )
    return torch.einsum("bhtd,bhsd->bhts", q, k) * q.shape[-1] ** -0.5


def pairwise_sq_dists(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Squared Euclidean distances between every row of x and every row of y:
    (N, D) and (M, D) -> (N, M), out[n, m] = |x[n] - y[m]|^2, never negative.

    Example:
        >>> pairwise_sq_dists(torch.tensor([[0., 0.]]), torch.tensor([[3., 4.], [0., 1.]]))
        tensor([[25.,  1.]])

    Raises ValueError naming both shapes unless both are 2-D with the same D.
    """
    _check(x.ndim == 2 and y.ndim == 2 and x.shape[1] == y.shape[1], "pairwise_sq_dists", "(N, D) and (M, D)", x, y)
    x_sq = torch.einsum("nd,nd->n", x, x)
    y_sq = torch.einsum("md,md->m", y, y)
    cross = torch.einsum("nd,md->nm", x, y)
    # |x|^2 - 2 x.y + |y|^2 cancels to tiny negatives for nearby points: clamp them to zero.
    return (x_sq[:, None] - 2 * cross + y_sq[None, :]).clamp_min(0)
