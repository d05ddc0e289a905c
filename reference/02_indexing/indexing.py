"""Kata 02: indexing. Reference solution: gather picks, scatter_ places, view and permute regroup."""

import math
from collections.abc import Sequence

import torch

_REDUCTIONS = ("mean", "sum", "none")


def pick(probs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """One entry per row: probs (N, C) and targets (N,) int64 -> (N,), out[i] = probs[i, targets[i]].

    Lesson: gather(dim, index) reads input[i][index[i][j]] along `dim`; the index has as many dims
    as the input, so give each row a column of one target and squeeze that column away afterwards.
    Built with gather (torch.gather or Tensor.gather; take_along_dim counts too; checked).

    Example:
        >>> pick(torch.tensor([[0.1, 0.9], [0.8, 0.2]]), torch.tensor([1, 0]))
        tensor([0.9000, 0.8000])

    Gradients flow back to `probs`, into the picked entries only.
    """
    return probs.gather(1, targets.unsqueeze(1)).squeeze(1)


def cross_entropy(
    logits: torch.Tensor, targets: torch.Tensor, reduction: str = "mean", ignore_index: int = -100
) -> torch.Tensor:
    """Cross-entropy loss, equal to F.cross_entropy (values and gradients) without calling it.

    logits (N, C) with targets (N,), or logits (N, C, d1, ..., dk) with targets (N, d1, ..., dk):
    the classes are always dim 1. targets are int64 class indices. Per element the loss is
    -log_softmax(logits)[target] over dim 1; then `reduction`:
      "none": the per-element losses, shape of `targets`;
      "sum":  their sum, a 0-dim tensor;
      "mean": their sum divided by the number of targets that are not ignored (nan when every
              target is ignored, as PyTorch gives).
    Targets equal to `ignore_index` contribute 0 (and no gradient) and are left out of the count.

    Lesson: log_softmax-style maths that never overflows (subtract the max before exp: logits of
    magnitude 1e4 must give finite losses), and gather to pick each target's log-probability.
    Forbidden: F.cross_entropy, F.nll_loss, nn.CrossEntropyLoss, nn.NLLLoss.

    Example:
        >>> cross_entropy(torch.tensor([[0.0, 0.0], [5.0, 5.0]]), torch.tensor([0, 1]))
        tensor(0.6931)
        >>> cross_entropy(torch.zeros(2, 4), torch.tensor([3, -100]), reduction="none")
        tensor([1.3863, 0.0000])

    Raises ValueError naming `reduction` and its value unless it is "mean", "sum" or "none".
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    # log_softmax subtracts the max before exp, so huge logits never overflow.
    log_probs = torch.log_softmax(logits, dim=1)
    keep = targets != ignore_index
    # An ignored target (-100) is no valid index: gather class 0 there, then zero that loss out.
    picked = log_probs.gather(1, torch.where(keep, targets, 0).unsqueeze(1)).squeeze(1)
    losses = torch.where(keep, -picked, 0)
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / keep.sum()  # 0 / 0 = nan when every target is ignored, as in PyTorch


def one_hot(labels: torch.Tensor, num_classes: int = -1) -> torch.Tensor:
    """One-hot encoding: int64 tensor of shape labels.shape + (num_classes,), with a 1 at position
    labels[...] along the new last dim and 0 elsewhere. Equal to F.one_hot(labels.long()) (F.one_hot
    itself accepts int64 only), without calling it.

    labels: any integer dtype (int64, int32, uint8, ...), any shape (0-dim and empty included).
    num_classes=-1 infers labels.max() + 1. The result is int64 on labels' device.

    Lesson: scatter_(dim, index, value) writes `value` at the positions `index` names along `dim`:
    start from zeros and scatter 1s. Built with scatter_ (Tensor.scatter_, or the out-of-place
    torch.scatter / Tensor.scatter; checked).

    Example:
        >>> one_hot(torch.tensor([0, 2, 1]))
        tensor([[1, 0, 0],
                [0, 0, 1],
                [0, 1, 0]])
        >>> one_hot(torch.tensor(1), num_classes=4)
        tensor([0, 1, 0, 0])

    Raises ValueError whose message names the argument and what is wrong, with the offending dtype or
    label (the smallest negative one, or the largest one out of range), e.g.
      "one_hot: labels must be an integer tensor, got torch.float32" (floating, complex or bool),
      "one_hot: labels must be non-negative, got min -3",
      "one_hot: labels must be < num_classes=5, got max 7",
      "one_hot: cannot infer num_classes from empty labels" (empty labels with num_classes=-1).
    """
    if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
        raise ValueError(f"one_hot: labels must be an integer tensor, got {labels.dtype}")
    if labels.numel() == 0:
        if num_classes == -1:
            raise ValueError("one_hot: cannot infer num_classes from empty labels")
    elif labels.min() < 0:
        raise ValueError(f"one_hot: labels must be non-negative, got min {labels.min().item()}")
    elif num_classes == -1:
        num_classes = int(labels.max()) + 1
    elif labels.max() >= num_classes:
        raise ValueError(f"one_hot: labels must be < num_classes={num_classes}, got max {labels.max().item()}")
    encoded = torch.zeros(*labels.shape, num_classes, dtype=torch.int64, device=labels.device)
    # Along the new last dim, write a 1 at each label's position; scatter_ wants an int64 index.
    return encoded.scatter_(-1, labels.long().unsqueeze(-1), 1)


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Split the features into heads: (B, T, H*D) -> (B, H, T, D), as a view of x.

    Head h holds features h*D ... (h+1)*D - 1: out[b, h, t, d] = x[b, t, h*D + d].
    No copy: the result shares x's storage, so writing through it changes x.

    Lesson: view splits a dim without moving memory, transpose only swaps strides; neither copies.
    reshape(...).contiguous() or clone() would copy.

    Example:
        >>> x = torch.arange(8.).view(1, 2, 4)  # features 0 1 2 3 at t=0, 4 5 6 7 at t=1
        >>> split_heads(x, 2)[0, 1]  # head 1: features 2 and 3 at every t
        tensor([[2., 3.],
                [6., 7.]])

    Raises ValueError naming `num_heads` and the last dim if the last dim is not divisible by
    num_heads, e.g. "split_heads: last dim 10 is not divisible by num_heads=4".
    """
    batch, time, features = x.shape
    if features % num_heads:
        raise ValueError(f"split_heads: last dim {features} is not divisible by num_heads={num_heads}")
    return x.view(batch, time, num_heads, features // num_heads).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Merge the heads back: (B, H, T, D) -> (B, T, H*D), contiguous, out[b, t, h*D + d] = x[b, h, t, d].

    The inverse of split_heads: merge_heads(split_heads(x, h)) equals x.

    Lesson: after the transpose the heads are no longer next to each other in memory, so view
    cannot merge them; the result must be contiguous either way, whatever the input's strides.

    Example:
        >>> merge_heads(torch.arange(8.).view(1, 2, 2, 2))
        tensor([[[0., 1., 4., 5.],
                 [2., 3., 6., 7.]]])
    """
    batch, heads, time, head_dim = x.shape
    # reshape would return a non-contiguous view when the strides allow one; contiguous() copies.
    return x.transpose(1, 2).contiguous().view(batch, time, heads * head_dim)


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Cut images into non-overlapping p x p patches: (B, C, H, W) -> (B, (H/p)*(W/p), C*p*p),
    equal to F.unfold(images, p, stride=p).transpose(1, 2).

    Patches come row by row (left to right, then top to bottom); inside a patch the features are
    ordered channel first, then row, then column: index c*p*p + i*p + j.

    Lesson: split H into (H/p, p) and W into (W/p, p) with view, bring the dims into the order you
    want with permute, then flatten with reshape (a permuted tensor cannot be viewed flat).
    Forbidden: F.unfold, Tensor.unfold.

    Example:
        >>> patchify(torch.arange(16.).view(1, 1, 4, 4), 2)
        tensor([[[ 0.,  1.,  4.,  5.],
                 [ 2.,  3.,  6.,  7.],
                 [ 8.,  9., 12., 13.],
                 [10., 11., 14., 15.]]])

    Raises ValueError naming `patch_size` and the size if H or W is not divisible by it,
    e.g. "patchify: height 10 and width 8 must be divisible by patch_size=4".
    """
    batch, channels, height, width = images.shape
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"patchify: height {height} and width {width} must be divisible by patch_size={patch_size}"
        )
    rows, cols, p = height // patch_size, width // patch_size, patch_size
    # (B, C, rows, p, cols, p) -> (B, rows, cols, C, p, p): the grid first, each patch as F.unfold lays it out.
    patches = images.view(batch, channels, rows, p, cols, p).permute(0, 2, 4, 1, 3, 5)
    return patches.reshape(batch, rows * cols, channels * p * p)


def reshape_is_view(x: torch.Tensor, shape: Sequence[int]) -> bool:
    """True when x.reshape(shape) can return a view of x, False when it must copy.

    Decided from x.shape and x.stride() alone, as PyTorch decides it: a dim can always be split
    without a copy; dims can be merged only where their strides chain, that is where stepping
    along them walks memory without a jump. Dims of size 1 are never stepped along, so their
    strides do not matter, and a tensor without elements is always a view. `shape` may hold one
    -1, the size that makes the numbers of elements agree.

    Lesson: strides say where each element lies; a view is the same memory under new strides, and
    they exist only when the merged dims' elements lie evenly spaced in memory. Forbidden:
    Tensor.view, Tensor.view_as, Tensor.reshape, Tensor.reshape_as, torch.reshape, Tensor.flatten,
    torch.flatten, Tensor.is_contiguous, Tensor.contiguous.

    Example:
        >>> x = torch.zeros(4, 6)  # x.t() has shape (6, 4) and strides (1, 6)
        >>> reshape_is_view(x, (8, 3)), reshape_is_view(x.t(), (3, 2, 4)), reshape_is_view(x.t(), (-1,))
        (True, True, False)

    Raises ValueError naming `shape` if it cannot hold x.numel() elements, e.g.
    "reshape_is_view: shape (5, 5) cannot hold the 24 elements of x", also for a shape with two
    -1s, or with a -1 beside a 0 (any size would do there: torch refuses it too).
    """
    numel, sizes = x.numel(), list(shape)
    known = math.prod(size for size in sizes if size != -1)
    if sizes.count(-1) == 1 and known and numel % known == 0:
        sizes[sizes.index(-1)] = numel // known  # the one size the others leave open
    if min(sizes, default=0) < 0 or math.prod(sizes) != numel:
        raise ValueError(f"reshape_is_view: shape {tuple(shape)} cannot hold the {numel} elements of x")
    if numel == 0:
        return True  # no memory to lay out: any strides describe it
    dims = [(size, stride) for size, stride in zip(x.shape, x.stride()) if size != 1]
    # Where memory jumps between two dims (their strides do not chain), the new shape needs a dim
    # boundary: each is found by the number of elements after it.
    jumps = {math.prod(size for size, _ in dims[d + 1:]) for d in range(len(dims) - 1)
             if dims[d][1] != dims[d + 1][0] * dims[d + 1][1]}
    return jumps <= {math.prod(sizes[d:]) for d in range(len(sizes))}
