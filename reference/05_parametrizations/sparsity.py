"""Kata 05: parametrizations. Reference solution: masks from one sort, parametrizations that
apply them on every read."""

import torch
from torch import nn
from torch.nn.utils import parametrize


def _mask_smallest(scores: torch.Tensor, sparsity: float) -> torch.Tensor:
    """True everywhere except at the round(sparsity * numel) smallest scores."""
    if not 0 <= sparsity <= 1:  # written this way round, NaN fails it too
        raise ValueError(f"sparsity must be between 0 and 1, got {sparsity}")
    zeros = round(sparsity * scores.numel())
    mask = torch.ones(scores.numel(), dtype=torch.bool, device=scores.device)
    mask[scores.flatten().argsort()[:zeros]] = False
    return mask.view(scores.shape)


def random_mask(
    shape: tuple[int, ...],
    sparsity: float,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """A bool mask of `shape` on `device` with exactly round(sparsity * numel) False entries,
    placed uniformly at random; every other entry is True (kept).

    Lesson: an exact count at random places, and randomness you can replay: draw every random
    number from `generator`, so the same seed gives the same mask.

    Example:
        >>> mask = random_mask((2, 4), 0.25, generator=torch.Generator().manual_seed(0))
        >>> mask.dtype, int((~mask).sum())
        (torch.bool, 2)

    Raises ValueError naming `sparsity` unless 0 <= sparsity <= 1.
    """
    # The k smallest of i.i.d. uniform scores are a uniformly random k-subset of the places.
    return _mask_smallest(torch.rand(shape, generator=generator, device=device), sparsity)


def magnitude_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """A bool mask of `weight`'s shape and device with exactly round(sparsity * numel) False
    entries, at the entries of smallest abs(weight) (ties broken any way).

    Lesson: magnitude pruning drops the weights that matter least, judged by size, not sign.

    Example:
        >>> magnitude_mask(torch.tensor([[0.1, -3.0], [-0.2, 2.0]]), 0.5)
        tensor([[False,  True],
                [False,  True]])

    Raises ValueError naming `sparsity` unless 0 <= sparsity <= 1.
    """
    return _mask_smallest(weight.detach().abs(), sparsity)


class SparseMask(nn.Module):
    """A parametrization that zeroes the masked entries: forward(weight) is weight * mask.

    `SparseMask(mask)` takes a bool mask (True = keep) and keeps it as a buffer, so it moves with
    `module.to(...)` and is saved in `state_dict`, but is never trained. `forward(weight)` returns
    `weight * mask` in `weight`'s dtype.

    Example:
        >>> SparseMask(torch.tensor([True, False]))(torch.tensor([3., 4.]))
        tensor([3., 0.])
    """

    def __init__(self, mask: torch.Tensor) -> None:
        super().__init__()
        # A buffer, not a Parameter: it follows .to() and state_dict, and no optimizer sees it.
        self.register_buffer("mask", mask)

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight * self.mask


def sparsify_(
    module: nn.Module,
    sparsity: float,
    name: str = "weight",
    method: str = "magnitude",
    generator: torch.Generator | None = None,
) -> nn.Module:
    """Register a SparseMask on `module.<name>` with torch.nn.utils.parametrize; return `module`.

    `method="magnitude"` masks the smallest abs values of the current tensor (magnitude_mask);
    `method="random"` masks uniformly random places (random_mask with `generator`, on the tensor's
    device). Afterwards `module.<name>` reads as original * mask, the trainable tensor lives at
    `module.parametrizations.<name>.original`, and masked entries stay exactly zero through any
    number of optimizer steps, momentum, weight decay and Adam included.

    Lesson: zeroing a weight once does not last, because the optimizer writes to it again; a
    parametrization applies the mask on every read, and the gradient of the masked entries is zero.

    Example:
        >>> layer = sparsify_(nn.Linear(4, 3), 0.5)
        >>> int((layer.weight == 0).sum())
        6

    Raises ValueError naming `method` unless it is "magnitude" or "random", and naming `sparsity`
    unless 0 <= sparsity <= 1; a call that raises leaves `module` as it was.
    """
    if method not in ("magnitude", "random"):
        raise ValueError(f'method must be "magnitude" or "random", got {method!r}')
    weight = getattr(module, name)
    if method == "magnitude":
        mask = magnitude_mask(weight, sparsity)
    else:
        mask = random_mask(weight.shape, sparsity, generator=generator, device=weight.device)
    parametrize.register_parametrization(module, name, SparseMask(mask))
    return module


class Symmetric(nn.Module):
    """A parametrization that makes a square matrix symmetric, built from its upper triangle:
    forward(X)[i, j] = X[min(i, j), max(i, j)].

    `right_inverse(A)` returns a tensor that forward maps back to A when A is symmetric, so a
    symmetric matrix can be assigned to the parametrized weight (`layer.weight = A`). It must not
    raise for a non-symmetric A: registering the parametrization calls it on the current weight.

    Example:
        >>> Symmetric()(torch.tensor([[1., 2.], [3., 4.]]))
        tensor([[1., 2.],
                [2., 4.]])
    """

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return X.triu() + X.triu(1).mT

    def right_inverse(self, A: torch.Tensor) -> torch.Tensor:
        # forward reads only the upper triangle, so a symmetric A is its own preimage.
        return A


class Orthogonal(nn.Module):
    """A parametrization that makes a square matrix orthogonal by the Cayley map:
    forward(X) is Q = (I - A)(I + A)^-1, where A = X.triu(1) - X.triu(1).mT is skew-symmetric
    (A.mT == -A), so that Q.mT @ Q is the identity. Only X's strict upper triangle is read.

    `right_inverse(Q)` returns an X that forward maps back to Q, for an orthogonal Q without the
    eigenvalue -1 (the Cayley map never gives one), so an orthogonal matrix can be assigned to the
    parametrized weight (`layer.weight = Q`). It must not raise for any other square matrix:
    registering the parametrization calls it on the current weight, whatever that is.

    Lesson: a parametrization keeps a constraint through any optimizer step, because the optimizer
    updates the unconstrained X and the weight is computed from it on every read.
    Forbidden: torch.nn.utils.parametrizations.orthogonal.

    Example:
        >>> Orthogonal()(torch.tensor([[0., 1.], [5., 0.]]))  # A = [[0, 1], [-1, 0]]; the 5 is never read
        tensor([[ 0., -1.],
                [ 1.,  0.]])
    """

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        A = X.triu(1) - X.triu(1).mT
        eye = torch.eye(X.shape[-1], dtype=X.dtype, device=X.device)
        return torch.linalg.solve(eye + A, eye - A)  # (I + A)^-1 (I - A): the two factors commute

    def right_inverse(self, Q: torch.Tensor) -> torch.Tensor:
        # The Cayley map is its own inverse: A = (I + Q)^-1 (I - Q), and X = A's upper triangle. pinv, not
        # solve: I + Q is singular where Q has the eigenvalue -1, and this must not raise on any weight.
        eye = torch.eye(Q.shape[-1], dtype=Q.dtype, device=Q.device)
        return (torch.linalg.pinv(eye + Q) @ (eye - Q)).triu(1)


def make_permanent_(module: nn.Module, name: str = "weight") -> nn.Module:
    """Remove the parametrization of `module.<name>`, leaving its current parametrized value as a
    plain nn.Parameter (so a pruned layer ships with its zeros baked in); return `module`.

    Example:
        >>> layer = make_permanent_(sparsify_(nn.Linear(4, 3), 0.5))
        >>> type(layer.weight).__name__, parametrize.is_parametrized(layer)
        ('Parameter', False)

    Raises ValueError naming `name` if `module.<name>` is not parametrized.
    """
    if not parametrize.is_parametrized(module, name):
        raise ValueError(f"make_permanent_: {name!r} of {type(module).__name__} is not parametrized")
    parametrize.remove_parametrizations(module, name, leave_parametrized=True)
    return module
