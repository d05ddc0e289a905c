"""Kata 04: nn.init. Replace each `raise NotImplementedError` with your solution.

Read the lesson first: README.md in this folder (по-русски: README.ru.md).
Then check yourself with: pytest katas/04_init
"""

import math

import torch
from torch import nn


def fans(tensor: torch.Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight, as Python ints, by PyTorch's own rule.

    A Linear weight is (out_features, in_features); a ConvNd weight is
    (out_channels, in_channels / groups, *kernel_size). The receptive field is the product of the
    dims from 2 on (1 for a Linear weight): each output sums fan_in = size(1) * receptive field
    inputs, and each input feeds fan_out = size(0) * receptive field outputs.

    Example:
        >>> fans(torch.empty(5, 3))          # nn.Linear(3, 5).weight
        (3, 5)
        >>> fans(torch.empty(8, 4, 3, 3))    # nn.Conv2d(4, 8, 3).weight
        (36, 72)

    Lesson: Xavier, Kaiming and friends set the weights' variance from these numbers (Xavier's is
    gain^2 * 2 / (fan_in + fan_out)); they are read off the shape.

    Raises ValueError (naming `tensor` and its dims) if tensor.ndim < 2.
    """
    raise NotImplementedError


def orthogonal_(tensor: torch.Tensor, gain: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill `tensor` in place with a random (semi-)orthogonal matrix times `gain`; return `tensor`.

    View the tensor as a matrix of shape (rows, cols) = (size(0), numel / size(0)) (conv kernels
    flatten their trailing dims). Then the rows are orthonormal if rows <= cols (W W^T = I), else
    the columns are (W^T W = I), before scaling by `gain`. Draw a Gaussian matrix with `generator`
    (on the tensor's device, in its dtype), take its QR decomposition, and correct the signs of Q's
    columns: QR alone is unique only up to those signs, and LAPACK's choice is not random, so
    without a correction the result is not uniformly (Haar) distributed. Q of a tall matrix has
    orthonormal columns: for a wide tensor, QR the transposed (tall) shape and transpose back. It need not match nn.init.orthogonal_ draw for draw.

    Works on an nn.Parameter that requires grad (an init is not part of the graph: fill it under
    torch.no_grad()). Empty tensors are returned unchanged.

    Example:
        >>> w = orthogonal_(torch.empty(3, 5), gain=2.0)
        >>> torch.allclose(w @ w.T, 4 * torch.eye(3), atol=1e-5)
        True

    Lesson: a square or tall orthogonal weight keeps the norm of what passes through it (a wide
    one, with orthonormal rows only, projects), and a random matrix must be drawn from the right
    distribution, not just have the right property.

    Raises ValueError (naming `tensor` and its dims) if tensor.ndim < 2.
    """
    raise NotImplementedError


def init_weights(module: nn.Module, gain: float = math.sqrt(2.0)) -> None:
    """Initialize one module by its type; meant for model.apply(init_weights).

    - nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d: orthogonal_(weight, gain), bias zero (if any).
    - nn.BatchNorm1d/2d/3d, nn.LayerNorm, nn.GroupNorm: weight 1, bias 0 (when affine: a
      non-affine norm has neither, and a LayerNorm may have a weight but no bias).
    - anything else (nn.Embedding, nn.ConvTranspose2d, nn.InstanceNorm2d, containers, your own
      modules): untouched. isinstance also matches subclasses of the listed classes.
    Fill the existing parameters in place; do not replace them with new ones.

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))
        >>> _ = model.apply(init_weights)                            # gain sqrt(2), for ReLU
        >>> _ = model.apply(lambda m: init_weights(m, gain=1.0))     # another gain

    Lesson: model.apply walks every submodule; isinstance picks the right init for each.
    """
    raise NotImplementedError
