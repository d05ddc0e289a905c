"""Kata 08: pitfalls. Replace each `raise NotImplementedError` with your solution, and fix the one
function that comes with the lecture's bug instead (regression_loss).

Read the lesson first: README.md in this folder (по-русски: README.ru.md).
Then check yourself with: pytest katas/08_pitfalls
"""

import os

import torch


def regression_loss(x: torch.Tensor, w: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """L2 norm of the N residuals of a linear model: x (N, D), w (D, 1) or (D,), y (N,) or (N, 1)
    -> 0-dim tensor, sqrt(sum over n of (x[n] . w - y[n]) ** 2).

    Unlike the others, this function is handed out with the lecture's code in its body, bug
    included: it runs without an error, returns a number, and the number is wrong. Find out why,
    then fix it for every shape combination above. Lesson: broadcasting never complains, so know
    the shape of everything you subtract.

    Example:
        >>> x = torch.tensor([[1., 0.], [0., 1.], [1., 1.]])
        >>> regression_loss(x, torch.tensor([[1.], [2.]]), torch.tensor([1., 2., 5.]))
        tensor(2.)

    Raises ValueError naming `y` and N if y does not hold N elements (one target per row of x).
    """
    # The lecture's code, as it was shown. It runs, and it is wrong: fix it.
    return torch.linalg.vector_norm(x @ w - y)


def stable_log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(x)) along `dim`, equal to torch.log_softmax(x, dim): same shape as x, and
    finite for logits as large as 1e4 in float32 (exp(1e4) is inf, even in float64).

    Lesson: log(sum(exp(x))) overflows long before the answer does. Softmax does not change when
    the same constant is subtracted from every logit along `dim`: choose the constant that keeps
    exp from overflowing. torch.log_softmax, torch.logsumexp and their Tensor, F and
    torch.special forms are off-limits here.

    Example:
        >>> stable_log_softmax(torch.tensor([10000., 10000.]))
        tensor([-0.6931, -0.6931])
    """
    raise NotImplementedError


def masked_mean(x: torch.Tensor, mask: torch.Tensor, dim: int) -> torch.Tensor:
    """Mean of x along `dim` over the entries where `mask` is True, and 0 where none is True.
    x of any shape and a bool mask of the same shape -> x's shape without `dim`.

    Masked-out entries are padding and may hold anything, inf and nan included: they never
    influence the result or its gradient. Kept entries are data: a nan or inf among them shows in
    the result, as in any mean. For finite kept entries, value and gradient are finite everywhere,
    also for rows without a single True entry.

    Lesson: nan * 0 is nan, not 0, so a product with the mask keeps padding's nan. And
    torch.where(count > 0, total / count, 0) hides 0 / 0 from the value but not from the gradient:
    the branch it drops gets gradient 0, which the division turns into 0 * inf = nan in the
    gradient of `total`. That nan reaches x's gradient when `total` multiplies x by the mask
    (nan * 0 is nan again), not when `total` selects x's kept entries (a selection sends 0 back to
    what it drops). A division that never computes 0 / 0 keeps nan out of every gradient.

    Example:
        >>> x = torch.tensor([[1., 2., float("nan")], [4., float("inf"), 6.]])
        >>> mask = torch.tensor([[True, True, False], [False, False, False]])
        >>> masked_mean(x, mask, dim=1)
        tensor([1.5000, 0.0000])

    Raises ValueError naming `mask` if it is not a bool tensor, or not of x's shape (then naming
    both shapes).
    """
    raise NotImplementedError


def nonfinite_grads(module: torch.nn.Module) -> list[str]:
    """Names of the parameters whose .grad holds a nan or an inf (of either sign), as a list, in
    the order of module.named_parameters(), which lists a parameter shared by two modules (tied
    weights) once. Parameters without a gradient (.grad is None) are skipped; the gradients are
    left as they are.

    Lesson: a nan in one gradient spoils only its own entries at the next optimizer step, but the
    forward pass after it makes the loss nan, and the step after that spreads it through the model
    (clip_grad_norm_ spreads it at once); find the parameters where it starts. Look for inf too:
    inf - inf, 0 * inf and inf / inf are how most nans are born.

    Example:
        >>> layer = torch.nn.Linear(2, 1)
        >>> layer.weight.grad = torch.tensor([[1., float("inf")]])
        >>> nonfinite_grads(layer)
        ['weight']
    """
    raise NotImplementedError


def save_sample(batch: torch.Tensor, index: int, path: str | os.PathLike) -> None:
    """Save batch[index] (an int index) with torch.save so that the file holds that one sample,
    not the batch. torch.load(path) gives a tensor equal to batch[index]; batch is left untouched.

    Lesson: batch[index] is a view that shares the batch's storage, and torch.save writes whole
    storages: save the view, and the file holds every sample of the batch.

    Example:
        >>> batch = torch.randn(10_000, 128)
        >>> save_sample(batch, 7, "sample.pt")   # a file of about 2 KB, not 5 MB
    """
    raise NotImplementedError


def first_nonfinite_backward(loss: torch.Tensor) -> str | None:
    """Run loss.backward() and return the class name of the first autograd node, in the order
    backward runs them, whose computed gradients (those it passes on towards the leaves) hold a nan
    or an inf; None when every gradient that backward computes is finite. For the lecture's Conv2d
    fed an image with one nan pixel, that is "ConvolutionBackward0". The leaves' .grad end as after
    a plain loss.backward(): accumulated onto what they held, once.

    Lesson: the node where a nan is born is where to look; every node after it passes the nan on.
    Hooks on the graph's nodes (Node.register_hook) see each node's gradients as backward computes
    them. Forbidden: torch.autograd.detect_anomaly and torch.autograd.set_detect_anomaly (anomaly
    mode names the node too, but only for a nan, and by raising).

    Example:
        >>> x = torch.tensor([0.0, 1.0], requires_grad=True)
        >>> first_nonfinite_backward(torch.sqrt(x).sum())  # the derivative of sqrt is inf at 0
        'SqrtBackward0'
        >>> x.grad
        tensor([   inf, 0.5000])
    """
    raise NotImplementedError
