"""The judge's cases for kata 06: samplers checked the way a statistician would (means, variances and
fractions below a few points within Z standard errors, independent output positions, fresh draws
without a generator, the same draws from generators seeded alike), their gradients against the
pathwise derivative of the very samples returned, and the densities and KL against torch.distributions.
No case depends on the order in which your code draws its random numbers.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/06_distributions` runs the same cases here, on a fresh draw each
time.
"""

import math

import torch
from torch.distributions import LogNormal, Normal, constraints, kl_divergence

from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_data, expect_fractions_below, expect_grads, expect_returned, expect_structure,
    expect_tensor, expect_uncorrelated, expect_values, expect_within, expected_grads, judged,
)

CASES = []
N = 2000  # samples per position and call in the statistical cases; two calls: 4000, standard errors of 1.6%


def fresh_draws(output, shape: tuple[int, ...]) -> list[torch.Tensor]:
    """Two calls without a generator: each of this shape, and not the same."""
    expect_returned(output)
    for samples in output.value:
        expect_structure(samples, shape, torch.float64, what="the result")
    if torch.equal(*output.value):
        raise Mismatch("two calls without a generator gave identical results: with generator=None, draw from "
                       "torch's global random state")
    return output.value


def replayed(output, shape: tuple[int, ...]) -> torch.Tensor:
    """Two calls, each with a fresh generator seeded alike: equal samples of this shape (the last)."""
    expect_returned(output)
    for samples in output.value:
        expect_structure(samples, shape, torch.float64, what="the samples")
    if not torch.equal(*output.value):
        raise Mismatch("generators seeded alike gave different samples: draw every random number from `generator`")
    return output.value[-1]


def seeded(draw) -> dict:
    return {"generator": Recipe("generator", (draw.fresh_seed(),))}


# rsample_normal -----------------------------------------------------------------------------------

def normal_parameters(draw) -> tuple[torch.Tensor, torch.Tensor]:
    """mu (a, 1) and sigma (b,), broadcast to (a, b); every sigma far from 1, where sigma^2 would pass."""
    return draw.normal(draw.size(2, 3), 1), draw.uniform(draw.size(2, 4), low=1.5, high=3.0)


@judged("rsample_normal", CASES)
def normal_statistics(draw):
    """Mean mu, variance sigma^2, (x - mu) / sigma standard normal (fractions below -2, -1, 1, 2), and
    every output position independent of every other."""
    mu, sigma = normal_parameters(draw)
    shape = (mu + sigma).shape

    def check(output):
        samples = torch.cat(fresh_draws(output, (N,) + shape))
        count, sd = samples.shape[0], sigma.expand(shape)
        expect_within(samples.mean(0), mu.expand(shape), sd / math.sqrt(count), what="the sample mean")
        # The variance of a sample variance of normals is 2 sigma^4 / N.
        expect_within(samples.var(0), sd ** 2, sd ** 2 * math.sqrt(2 / count), what="the sample variance")
        points = [-2.0, -1.0, 1.0, 2.0]
        expect_fractions_below((samples - mu) / sigma, points, [0.5 * math.erfc(-z / math.sqrt(2)) for z in points],
                               what="the samples' (x - mu) / sigma")
        expect_uncorrelated(samples, what="the samples")

    return Judged(Call("rsample_normal", (mu, sigma, (N,)), repeat=2), check)


@judged("rsample_normal", CASES)
def normal_pathwise_gradients(draw):
    """x = mu + sigma eps: dx/dmu = 1 and dx/dsigma = eps = (x - mu) / sigma, for the very samples
    returned; generators seeded alike give the same samples."""
    mu, sigma = normal_parameters(draw)
    sample_shape = (draw.size(1, 5),)
    shape = sample_shape + (mu + sigma).shape
    cotangent = draw.normal(*shape)

    def check(output):
        samples = replayed(output, shape)
        eps = (samples - mu) / sigma
        expect_grads(output, [cotangent.sum_to_size(mu.shape), (cotangent * eps).sum_to_size(sigma.shape)],
                     ["mu", "sigma"])

    return Judged(Call("rsample_normal", (mu, sigma, sample_shape), seeded(draw), grads=(0, 1), cotangent=cotangent,
                       repeat=2), check)


# rsample_exponential ------------------------------------------------------------------------------

def rates(draw, *shape: int) -> torch.Tensor:
    return draw.uniform(*shape, low=0.5, high=4.0)


@judged("rsample_exponential", CASES)
def exponential_statistics(draw):
    """Non-negative, mean 1 / rate, variance 1 / rate^2, independent output positions."""
    rate = rates(draw, draw.size(1, 2), draw.size(2, 3))

    def check(output):
        samples = torch.cat(fresh_draws(output, (N,) + tuple(rate.shape)))
        if (samples < 0).any():
            raise Mismatch(f"{int((samples < 0).sum())} samples are negative")
        count, scale = samples.shape[0], 1 / rate
        expect_within(samples.mean(0), scale, scale / math.sqrt(count), what="the sample mean")
        # An exponential's fourth central moment is 9 / rate^4: the sample variance has variance 8 / (N rate^4).
        expect_within(samples.var(0), scale ** 2, scale ** 2 * math.sqrt(8 / count), what="the sample variance")
        expect_uncorrelated(samples, what="the samples")

    return Judged(Call("rsample_exponential", (rate, (N,)), repeat=2), check)


@judged("rsample_exponential", CASES)
def exponential_pathwise_gradients(draw):
    """x = -log(1 - u) / rate: dx/drate = -x / rate, for the very samples returned; generators seeded
    alike give the same samples."""
    rate = rates(draw, draw.size(1, 4))
    sample_shape = (draw.size(1, 5),)
    cotangent = draw.normal(*sample_shape, *rate.shape)

    def check(output):
        samples = replayed(output, tuple(cotangent.shape))
        expect_grads(output, [(cotangent * -samples / rate).sum_to_size(rate.shape)], ["rate"])

    return Judged(Call("rsample_exponential", (rate, sample_shape), seeded(draw), grads=(0,), cotangent=cotangent,
                       repeat=2), check)


@judged("rsample_exponential", CASES)
def extreme_uniforms_and_the_tail(draw):
    """Every uniform source returns its extremes, 0 and the largest float below 1, in its first two
    elements: every sample and gradient finite. And the tail is all there: rate * x exceeds 7 with
    probability exp(-7), about 55 of the 60000 samples (a guard against log(0) that clamps u at 1e-3
    cuts off everything above 6.9)."""
    rate = rates(draw, 3)

    def check(output):
        expect_returned(output)
        samples, (grad,) = output.value, output.grads
        expect_structure(samples, (20_000, 3), torch.float64, what="the samples")
        if not samples.isfinite().all():
            raise Mismatch(f"{int((~samples.isfinite()).sum())} samples are inf or nan when torch.rand returns 0 "
                           "(log(0) = -inf: use 1 - u inside the log)")
        if grad is None or not grad.isfinite().all():
            raise Mismatch("the gradient of `rate` is missing or not finite")
        expect_fractions_below(samples * rate, [7.0], [1 - math.exp(-7.0)], what="the 60000 samples' rate * x")

    return Judged(Call("rsample_exponential", (rate, (20_000,)), grads=(0,), scenario=Recipe("extreme_uniforms")),
                  check)


# kl_normal ----------------------------------------------------------------------------------------

def kl_expected(mu1, sigma1, mu2, sigma2) -> torch.Tensor:
    return kl_divergence(Normal(mu1, sigma1), Normal(mu2, sigma2))


@judged("kl_normal", CASES)
def broadcast_parameters(draw):
    """mu1 (a, 1), sigma1 (1, b), mu2 (b,), sigma2 (a, 1): values and every gradient, against torch's KL."""
    a, b = draw.size(1, 4), draw.size(1, 4)
    args = (draw.normal(a, 1), draw.uniform(1, b, low=0.5, high=2.0), draw.normal(b),
            draw.uniform(a, 1, low=0.5, high=2.0))
    value = kl_expected(*args)
    cotangent = draw.normal(*value.shape)
    grads = expected_grads(kl_expected, args, (0, 1, 2, 3), cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, grads, ["mu1", "sigma1", "mu2", "sigma2"])

    return Judged(Call("kl_normal", args, grads=(0, 1, 2, 3), cotangent=cotangent), check)


# log_normal and log_normal_log_prob ---------------------------------------------------------------

def log_normal_parameters(draw) -> tuple[torch.Tensor, torch.Tensor]:
    """mu (a, 1) and sigma (b,)."""
    return draw.normal(draw.size(1, 3), 1, scale=0.5), draw.uniform(draw.size(1, 3), low=0.25, high=0.75)


def points(draw, *shape: int) -> torch.Tensor:
    """Points inside the support (0, inf)."""
    return draw.uniform(*shape, low=0.1, high=3.1)


def log_density(y, mu, sigma) -> torch.Tensor:
    return LogNormal(mu, sigma).log_prob(y)


@judged("log_normal", CASES)
def log_prob_of_the_distribution(draw):
    """log_normal(mu, sigma).log_prob(y): LogNormal's, with its gradients to mu and sigma."""
    mu, sigma = log_normal_parameters(draw)
    y = points(draw, draw.size(1, 3), 1, 1)
    value = log_density(y, mu, sigma)
    cotangent = draw.normal(*value.shape)
    grads = expected_grads(lambda mu, sigma: log_density(y, mu, sigma), (mu, sigma), (0, 1), cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, grads, ["mu", "sigma"])

    return Judged(Call("log_normal", (mu, sigma), grads=(0, 1), cotangent=cotangent,
                       scenario=Recipe("distribution", ("log_prob", y))), check)


@judged("log_normal", CASES)
def rsample_pathwise_gradients(draw):
    """log_normal(mu, sigma).rsample: y = exp(mu + sigma eps), dy/dmu = y, dy/dsigma = y eps with
    eps = (log y - mu) / sigma, for the very samples returned."""
    mu, sigma = log_normal_parameters(draw)
    sample_shape = (draw.size(1, 5),)
    cotangent = draw.normal(*sample_shape, *(mu + sigma).shape)

    def check(output):
        expect_returned(output)
        y = output.value
        expect_structure(y, tuple(cotangent.shape), torch.float64, what="rsample's samples")
        eps = (y.log() - mu) / sigma
        expect_grads(output, [(cotangent * y).sum_to_size(mu.shape), (cotangent * y * eps).sum_to_size(sigma.shape)],
                     ["mu", "sigma"])

    return Judged(Call("log_normal", (mu, sigma), grads=(0, 1), cotangent=cotangent,
                       scenario=Recipe("distribution", ("rsample", sample_shape))), check)


@judged("log_normal", CASES)
def sample_mean(draw):
    """log_normal(mu, sigma).sample((4000,)) averages exp(mu + sigma^2 / 2), within Z standard errors."""
    mu, sigma = log_normal_parameters(draw)
    count = 2 * N

    def check(output):
        expect_returned(output)
        samples = output.value
        expect_structure(samples, (count,) + (mu + sigma).shape, torch.float64, what="sample's samples")
        mean = torch.exp(mu + sigma ** 2 / 2)
        sd = torch.sqrt(torch.expm1(sigma ** 2)) * mean
        expect_within(samples.mean(0), mean.expand(samples.shape[1:]), sd / math.sqrt(count), what="the sample mean")

    return Judged(Call("log_normal", (mu, sigma), scenario=Recipe("distribution", ("sample", (count,)))), check)


@judged("log_normal_log_prob", CASES)
def density_written_out(draw):
    """y (c, 1, 1), mu (a, 1), sigma (b,): LogNormal's log_prob, and the gradients of y, mu and sigma."""
    mu, sigma = log_normal_parameters(draw)
    args = (points(draw, draw.size(1, 3), 1, 1), mu, sigma)
    value = log_density(*args)
    cotangent = draw.normal(*value.shape)
    grads = expected_grads(log_density, args, (0, 1, 2), cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, grads, ["y", "mu", "sigma"])

    return Judged(Call("log_normal_log_prob", args, grads=(0, 1, 2), cotangent=cotangent), check)


# shifted_log_normal -------------------------------------------------------------------------------

STANDARD_NORMAL_BELOW = ([-1.0, 0.0, 1.0], [0.158655254, 0.5, 0.841344746])  # points, Phi at them


def shifted_parameters(draw) -> tuple[torch.Tensor, ...]:
    """mu, sigma, loc, scale of shapes that broadcast together: (r, 1), (c,), (r, 1), (1, c)."""
    rows, cols = draw.size(1, 3), draw.size(1, 3)
    return (draw.uniform(rows, 1, low=-1, high=1), draw.uniform(cols, low=0.2, high=1.0),
            draw.uniform(rows, 1, low=-3, high=3), draw.uniform(1, cols, low=0.5, high=2.0))


def shifted_log_prob(y, mu, sigma, loc, scale):
    return LogNormal(mu, sigma).log_prob((y - loc) / scale) - scale.log()


@judged("shifted_log_normal", CASES)
def log_prob_and_gradients(draw):
    """log_prob above loc, and its gradients with respect to all four parameters."""
    args = shifted_parameters(draw)
    y = args[2] + args[3] * draw.uniform(draw.size(1, 3), 1, 1, low=0.1, high=4.0)
    value = shifted_log_prob(y, *args)
    cotangent = draw.normal(*value.shape)
    grads = expected_grads(lambda *a: shifted_log_prob(y, *a), args, (0, 1, 2, 3), cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, grads, ["mu", "sigma", "loc", "scale"])

    return Judged(Call("shifted_log_normal", args, grads=(0, 1, 2, 3), cotangent=cotangent,
                       scenario=Recipe("distribution", ("log_prob", y))), check)


@judged("shifted_log_normal", CASES)
def samples_map_back_to_a_normal(draw):
    """2000 rsamples: above loc, and (log((y - loc) / scale) - mu) / sigma standard normal."""
    mu, sigma, loc, scale = args = shifted_parameters(draw)
    samples = 2000
    shape = (samples, *torch.broadcast_shapes(mu.shape, sigma.shape, loc.shape, scale.shape))

    def check(output):
        expect_returned(output)
        expect_structure(output.value, shape, torch.float64, what="rsample((2000,))")
        if not (output.value > loc).all():
            raise Mismatch("some samples are not above loc, where exp(x) > 0 puts them all")
        z = (((output.value - loc) / scale).log() - mu) / sigma
        expect_fractions_below(z, *STANDARD_NORMAL_BELOW, what="the samples mapped back to a standard normal")

    return Judged(Call("shifted_log_normal", args, scenario=Recipe("distribution", ("rsample", (samples,)))), check)


# SinhTransform ------------------------------------------------------------------------------------

def log_cosh(x: torch.Tensor) -> torch.Tensor:
    return x.abs() - math.log(2) + torch.log1p(torch.exp(-2 * x.abs()))


@judged("SinhTransform", CASES)
def sinh_of_a_normal(draw):
    """The map, its inverse and log-Jacobian (out to |x| = 700), what it declares, and the transformed
    Normal's log_prob and samples."""
    x = torch.cat([draw.uniform(draw.size(1, 6), low=-5, high=5), torch.tensor([-700.0, 700.0])])
    y = draw.uniform(draw.size(1, 6), low=-50, high=50)
    mu, sigma = draw.uniform(1, low=-1, high=1), draw.uniform(1, low=0.3, high=2.0)
    samples = 2000
    declared = {"domain": type(constraints.real).__name__, "codomain": type(constraints.real).__name__,
                "bijective": True, "sign": 1}

    def check(output):
        expect_returned(output)
        result = output.value
        expect_data(result["declared"], declared,
                    what="what SinhTransform declares (domain, codomain, bijective, sign)")
        expect_tensor(result["forward"], torch.sinh(x), what="SinhTransform()(x)")
        expect_tensor(result["inverse"], torch.asinh(y), what="SinhTransform().inv(y)")
        expect_tensor(result["log_abs_det_jacobian"], log_cosh(x), what="log_abs_det_jacobian(x, sinh(x))")
        expect_tensor(result["log_prob"], Normal(mu, sigma).log_prob(torch.asinh(y)) - log_cosh(torch.asinh(y)),
                      what="the transformed Normal's log_prob(y)")
        expect_structure(result["samples"], (samples, 1), torch.float64, what="rsample((2000,))")
        expect_fractions_below((torch.asinh(result["samples"]) - mu) / sigma, *STANDARD_NORMAL_BELOW,
                               what="the samples mapped back to a standard normal")

    return Judged(Call("SinhTransform", scenario=Recipe("transformed_normal", (x, y, mu, sigma, samples))), check)


# kl_monte_carlo -----------------------------------------------------------------------------------

def kl_parameters(draw) -> tuple[torch.Tensor, ...]:
    """Four positions, each with mu1 != mu2 and sigma1 != sigma2 by a margin."""
    mu1, sigma1 = draw.normal(4), draw.uniform(4, low=0.5, high=1.5)
    shift = draw.uniform(4, low=0.5, high=1.5) * torch.where(draw.uniform(4) < 0.5, -1.0, 1.0)
    ratio = draw.uniform(4, low=1.5, high=2.0) ** torch.where(draw.uniform(4) < 0.5, -1.0, 1.0)
    return mu1, sigma1, mu1 + shift, sigma1 * ratio


def monte_carlo_spread(draw, args: tuple[torch.Tensor, ...], samples: int) -> tuple[torch.Tensor, list]:
    """Standard errors of a samples-sample estimate and of its gradients, from the spread of single-sample
    terms log q(x) - log p(x) (noise of the judge's own)."""
    params = [a.expand(samples, *a.shape).clone().requires_grad_() for a in args]
    mu1, sigma1, mu2, sigma2 = params
    x = mu1 + sigma1 * draw.normal(*mu1.shape)
    terms = Normal(mu1, sigma1).log_prob(x) - Normal(mu2, sigma2).log_prob(x)
    grads = torch.autograd.grad(terms.sum(), params)
    return terms.std(0) / math.sqrt(samples), [g.std(0) / math.sqrt(samples) for g in grads]


@judged("kl_monte_carlo", CASES)
def agrees_with_closed_form(draw):
    """The estimate and its gradients within Z standard errors of the closed-form KL and its gradients;
    two calls without a generator give two different estimates."""
    args = kl_parameters(draw)
    standard_error, grad_errors = monte_carlo_spread(draw, args, 2 * N)
    expected = expected_grads(kl_expected, args, (0, 1, 2, 3), None)

    def check(output):
        for estimate in fresh_draws(output, (4,)):
            expect_within(estimate, kl_expected(*args), standard_error, what="the estimate of KL")
        for name, grad, want, error in zip(("mu1", "sigma1", "mu2", "sigma2"), output.grads, expected, grad_errors):
            if grad is None:
                raise Mismatch(f"no gradient reached `{name}`: the samples must stay differentiable functions of "
                               "mu1 and sigma1")
            expect_structure(grad, (4,), torch.float64, what=f"the gradient of `{name}`")
            expect_within(grad, want, error, what=f"the gradient of `{name}`")

    return Judged(Call("kl_monte_carlo", (*args, 2 * N), grads=(0, 1, 2, 3), repeat=2), check)


@judged("kl_monte_carlo", CASES)
def replayed_with_a_generator(draw):
    args = kl_parameters(draw)

    def check(output):
        replayed(output, (4,))

    return Judged(Call("kl_monte_carlo", (*args, 10), seeded(draw), repeat=2), check)
