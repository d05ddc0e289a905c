"""Kata 06: distributions. Reference solution: samples are deterministic, differentiable functions
of parameter-free noise, and densities are written out by hand."""

import math

import torch
import torch.nn.functional as F
from torch.distributions import Normal, TransformedDistribution, constraints
from torch.distributions.transforms import AffineTransform, ExpTransform


def _check_positive(function: str, name: str, value: torch.Tensor) -> None:
    if (value <= 0).any():
        raise ValueError(f"{function}: every {name} must be > 0, got min {name} = {value.min().item():g}")


def rsample_normal(
    mu: torch.Tensor,
    sigma: torch.Tensor,
    sample_shape: tuple[int, ...] = (),
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Reparameterized samples of N(mu, sigma): mu + sigma * eps with eps ~ N(0, 1).

    mu and sigma broadcast against each other; the result has shape
    sample_shape + broadcast(mu.shape, sigma.shape), their dtype and device, and one fresh,
    independent eps per output element, drawn from `generator` when one is given.

    Lesson: all the randomness sits in eps, which does not depend on the parameters, so the sample
    is a plain differentiable function of mu and sigma: d sample / d mu = 1 and
    d sample / d sigma = eps. That is what lets gradients flow through sampling.

    Example:
        >>> x = rsample_normal(torch.zeros(3, 1), torch.ones(4), sample_shape=(5,))
        >>> x.shape
        torch.Size([5, 3, 4])

    Raises ValueError naming sigma if any sigma <= 0.
    """
    _check_positive("rsample_normal", "sigma", sigma)
    mu, sigma = torch.broadcast_tensors(mu, sigma)
    # All the randomness is in eps, drawn apart from the parameters: the sample is differentiable in them.
    eps = torch.randn(torch.Size(sample_shape) + mu.shape, generator=generator, dtype=mu.dtype, device=mu.device)
    return mu + sigma * eps


def rsample_exponential(
    rate: torch.Tensor,
    sample_shape: tuple[int, ...] = (),
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Reparameterized samples of Exponential(rate) by inverse-CDF sampling.

    The CDF is F(x) = 1 - exp(-rate * x), so x = F^-1(u) = -log(1 - u) / rate turns a uniform
    u into an exponential sample. The result has shape sample_shape + rate.shape, rate's dtype and
    device, one fresh uniform per element (from `generator` when given), and is never inf or nan.
    torch.rand can return exactly 0, which only the mirror-image formula -log(u) / rate turns into
    inf; -log(1 - u) is finite for every u in [0, 1).

    Lesson: any distribution with an invertible CDF can be sampled, and differentiated through,
    this way: d sample / d rate = -sample / rate.

    Example:
        >>> x = rsample_exponential(torch.tensor([1.0, 10.0]), sample_shape=(1000,))
        >>> x.shape  # and x.mean(0) is about [1.0, 0.1]: the mean is 1 / rate
        torch.Size([1000, 2])

    Raises ValueError naming rate if any rate <= 0.
    """
    _check_positive("rsample_exponential", "rate", rate)
    u = torch.rand(torch.Size(sample_shape) + rate.shape, generator=generator, dtype=rate.dtype, device=rate.device)
    # rand draws from [0, 1), so 1 - u lies in (0, 1] and its log is never -inf.
    return -torch.log1p(-u) / rate


def kl_normal(mu1: torch.Tensor, sigma1: torch.Tensor, mu2: torch.Tensor, sigma2: torch.Tensor) -> torch.Tensor:
    """KL(N(mu1, sigma1) || N(mu2, sigma2)) in closed form, elementwise with broadcasting:

        log(sigma2 / sigma1) + (sigma1^2 + (mu1 - mu2)^2) / (2 sigma2^2) - 1/2

    The result has the broadcast shape of all four arguments, their dtype and device, and gradients
    with respect to each of them.

    Lesson: KL is not symmetric (mind which distribution is first), and for two normals it needs
    no sampling at all.

    Example:
        >>> kl_normal(torch.tensor(1.0), torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0))
        tensor(0.5000)
    """
    variance_ratio = (sigma1 / sigma2) ** 2
    return 0.5 * (variance_ratio + ((mu1 - mu2) / sigma2) ** 2 - 1 - torch.log(variance_ratio))


def log_normal(mu: torch.Tensor, sigma: torch.Tensor) -> torch.distributions.TransformedDistribution:
    """The log-normal distribution, built as exp of a Normal(mu, sigma): a
    torch.distributions.TransformedDistribution with base distribution Normal(mu, sigma) and
    the single transform ExpTransform().

    Its sample, rsample and log_prob come from torch.distributions: y = exp(x) for x ~ N(mu, sigma),
    and log_prob includes the change-of-variables term for you.

    Lesson: a new distribution from a known one and a bijection, without writing any density.

    Example:
        >>> d = log_normal(torch.tensor(0.0), torch.tensor(1.0))
        >>> d.log_prob(torch.tensor(1.0))  # log N(0; 0, 1) - log 1
        tensor(-0.9189)
    """
    return TransformedDistribution(Normal(mu, sigma), [ExpTransform()])


def log_normal_log_prob(y: torch.Tensor, mu: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Log-density at y of the log-normal distribution log_normal(mu, sigma), written out.

    With x = log(y) ~ N(mu, sigma), the change-of-variables formula gives
    log p_Y(y) = log p_X(log y) + log |d log(y) / dy| = log N(log y; mu, sigma) - log y.
    Elementwise with broadcasting over y, mu and sigma; differentiable in all three.

    Lesson: transforming a variable multiplies its density by the Jacobian of the inverse map;
    forget that term and the "density" no longer integrates to 1.

    Example:
        >>> log_normal_log_prob(torch.tensor(1.0), torch.tensor(0.0), torch.tensor(1.0))
        tensor(-0.9189)

    Raises ValueError if any y <= 0: outside the support, as PyTorch's validation does.
    """
    _check_positive("log_normal_log_prob", "y", y)
    log_y = torch.log(y)
    z = (log_y - mu) / sigma
    # log N(log y; mu, sigma), then the Jacobian term: d log(y) / dy = 1 / y.
    return -0.5 * z**2 - torch.log(sigma) - 0.5 * math.log(2 * math.pi) - log_y


def shifted_log_normal(
    mu: torch.Tensor, sigma: torch.Tensor, loc: torch.Tensor, scale: torch.Tensor
) -> torch.distributions.TransformedDistribution:
    """The distribution of Y = loc + scale * exp(X) for X ~ Normal(mu, sigma): a
    torch.distributions.TransformedDistribution of Normal(mu, sigma) under ExpTransform() and then
    AffineTransform(loc, scale) (a list of the two, or their ComposeTransform). Its batch shape is
    the broadcast shape of the four parameters.

    Its sample, rsample and log_prob come from torch.distributions, and log_prob checks its
    argument: y < loc gives the base Normal the log of a negative number, a nan, and torch's argument
    validation raises ValueError. (At y == loc exactly the base sees log 0 = -inf, which passes that
    validation: log_prob gives nan there.)

    Lesson: transforms compose, each one's Jacobian term added by TransformedDistribution.
    Forbidden: LogNormal.

    Example:
        >>> d = shifted_log_normal(torch.tensor(0.0), torch.tensor(1.0), torch.tensor(2.0), torch.tensor(3.0))
        >>> d.log_prob(torch.tensor(5.0))  # y = 5 means exp(x) = 1, x = 0: log N(0; 0, 1) - log 3 - log 1
        tensor(-2.0176)

    Raises ValueError naming `sigma` if any sigma <= 0, and naming `scale` if any scale <= 0.
    """
    _check_positive("shifted_log_normal", "sigma", sigma)
    _check_positive("shifted_log_normal", "scale", scale)
    return TransformedDistribution(Normal(mu, sigma), [ExpTransform(), AffineTransform(loc, scale)])


class SinhTransform(torch.distributions.transforms.Transform):
    """The bijection y = sinh(x) of the real line onto itself, written by hand: its inverse is
    asinh(y), and log_abs_det_jacobian(x, y) is log |dy/dx| = log cosh(x), finite for |x| up to 700
    in float64. domain and codomain are constraints.real, bijective is True and sign is +1 (sinh
    increases).

    TransformedDistribution(Normal(mu, sigma), SinhTransform()) then samples sinh of a normal,
    differentiably through rsample, and its log_prob is the change-of-variables formula:
    log N(asinh(y); mu, sigma) - log cosh(asinh(y)).

    Lesson: a transform of your own needs the map, its inverse, the log of its Jacobian and the
    sets it maps between; TransformedDistribution does the rest.

    Example:
        >>> SinhTransform()(torch.tensor([0.0, 1.0])), SinhTransform().inv(torch.tensor(0.0))
        (tensor([0.0000, 1.1752]), tensor(0.))
    """

    domain = constraints.real
    codomain = constraints.real
    bijective = True
    sign = +1

    def _call(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sinh(x)

    def _inverse(self, y: torch.Tensor) -> torch.Tensor:
        return torch.asinh(y)

    def log_abs_det_jacobian(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        # log cosh x = |x| - log 2 + log(1 + exp(-2|x|)): no cosh to overflow, however large |x| is.
        return x.abs() - math.log(2) + F.softplus(-2 * x.abs())


def kl_monte_carlo(
    mu1: torch.Tensor,
    sigma1: torch.Tensor,
    mu2: torch.Tensor,
    sigma2: torch.Tensor,
    num_samples: int,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Monte Carlo estimate of KL(N(mu1, sigma1) || N(mu2, sigma2)):

        KL ~= mean over x_1..x_n ~ N(mu1, sigma1) of [log N(x; mu1, sigma1) - log N(x; mu2, sigma2)]

    with n = num_samples reparameterized samples (drawn from `generator` when given), so the
    estimate is differentiable in all four parameters. The result has the broadcast shape of the
    four, their dtype and device, and agrees with kl_normal within sampling error.

    Lesson: when no closed form exists (most of variational inference), a reparameterized sample
    mean is an unbiased estimate whose gradient is an unbiased estimate of the true gradient.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> one, zero = torch.tensor(1.0), torch.tensor(0.0)
        >>> estimate = kl_monte_carlo(one, one, zero, one, 10000, g)
        >>> bool(abs(estimate - 0.5) < 0.05)  # kl_normal's 0.5, within sampling error (about 0.01 here)
        True
    """
    x = rsample_normal(mu1, sigma1, (num_samples,), generator)
    return (Normal(mu1, sigma1).log_prob(x) - Normal(mu2, sigma2).log_prob(x)).mean(0)
