"""The judge's cases for kata 06: distributions by their log-densities (against the change-of-variables
formula) and gradients, and by the statistics of their samples.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/06_distributions` runs the same cases here, on a fresh draw each time.
"""

import math

import torch
from torch.distributions import LogNormal, Normal, constraints

from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_data, expect_fractions_below, expect_grads, expect_returned,
    expect_structure, expect_tensor, expect_values, expected_grads, judged,
)

CASES = []

STANDARD_NORMAL_BELOW = ([-1.0, 0.0, 1.0], [0.158655254, 0.5, 0.841344746])  # points, Phi at them


# shifted_log_normal -------------------------------------------------------------------------------

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
