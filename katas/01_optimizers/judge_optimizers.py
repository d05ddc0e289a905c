"""The judge's cases for kata 01: Rosenbrock's values and gradients, gradient descent on a quadratic
(whose iterates have a closed form), Signum through a few steps of several param groups (against the
update rule written out in float64), decay_param_groups on a drawn model with tied and frozen weights,
and LBFGS against torch.optim.LBFGS itself.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/01_optimizers` runs the same cases here, on a fresh draw each time.
"""

import torch

from katas.harness.builders import model, prefixed_model
from katas.harness.judge import (
    Call, Judged, Mismatch, Recipe, expect_data, expect_grads, expect_returned, expect_tensor, expect_values,
    expected_grads, judged,
)

CASES = []


# rosenbrock ---------------------------------------------------------------------------------------

def rosenbrock(x, a, b):
    head, tail = x[..., :-1], x[..., 1:]
    return ((a - head) ** 2 + b * (tail - head ** 2) ** 2).sum(dim=-1)


def batch_of_points(draw, least_batch_dims: int, dtype=torch.float64) -> torch.Tensor:
    shape = tuple(draw.size(1, 3) for _ in range(draw.size(least_batch_dims, 2))) + (draw.size(2, 6),)
    return draw.uniform(*shape, low=-2, high=2).to(dtype)


@judged("rosenbrock", CASES)
def points_and_gradients(draw):
    """A batch of points, a and b drawn: the values, and the gradient for a random cotangent."""
    x = batch_of_points(draw, least_batch_dims=1)
    a, b = draw.number(0.5, 2.0), draw.number(1.0, 100.0)
    value = rosenbrock(x, a, b)
    cotangent = draw.normal(*value.shape)
    (grad,) = expected_grads(lambda x: rosenbrock(x, a, b), (x,), (0,), cotangent)

    def check(output):
        expect_values(output, value)
        expect_grads(output, [grad], ["x"])

    return Judged(Call("rosenbrock", (x,), {"a": a, "b": b}, grads=(0,), cotangent=cotangent), check)


@judged("rosenbrock", CASES)
def float32_points(draw):
    """Values in float32 (a sum of squares: no cancellation, float32's own tolerance holds)."""
    x = batch_of_points(draw, least_batch_dims=0, dtype=torch.float32)
    a, b = draw.number(0.5, 2.0), draw.number(1.0, 100.0)
    value = rosenbrock(x.double(), a, b).float()
    return Judged(Call("rosenbrock", (x,), {"a": a, "b": b}), lambda output: expect_values(output, value))


# gradient_descent ---------------------------------------------------------------------------------

def expect_floats(values, expected: torch.Tensor, *, what: str, rtol: float) -> None:
    """A list of Python floats, one per expected value."""
    if type(values) is not list or len(values) != len(expected) or any(type(v) is not float for v in values):
        raise Mismatch(f"{what} should be a list of {len(expected)} Python floats, got {values!r:.200}")
    expect_tensor(torch.tensor(values, dtype=torch.float64), expected, what=what, rtol=rtol)


def expect_detached(output, what: str) -> None:
    """The call's tensor argument required grad: a detached result sends it none."""
    if any(grad is not None for grad in output.grads):
        raise Mismatch(f"a gradient flowed from the result back to x0: {what} should be detached")


def descent_case(draw, dtype):
    """f(x) = sum(w (x - c)^2), whose iterates are x_k = c + (1 - 2 lr w)^k (x0 - c); some coordinates
    shrink, some overshoot (2 lr w > 1). x0 requires grad, and the result must not carry it."""
    shape = tuple(draw.size(1, 4) for _ in range(draw.size(1, 2)))
    w, c, x0 = draw.uniform(*shape, low=0.5, high=2.0), draw.normal(*shape), draw.normal(*shape)
    lr, steps = draw.number(0.05, 0.4), draw.size(2, 5)
    iterates = [c + (1 - 2 * lr * w) ** k * (x0 - c) for k in range(steps + 1)]
    values = torch.stack([(w * (x - c) ** 2).sum() for x in iterates[:-1]])

    def check(output):
        expect_returned(output)
        if not isinstance(output.value, tuple) or len(output.value) != 2:
            raise Mismatch(f"expected a tuple (x, values), got {output.value!r:.100}")
        x, found = output.value
        expect_tensor(x, iterates[-1].to(dtype), what=f"x after {steps} steps (lr {lr:.3g})")
        expect_floats(found, values, what="values, f(x_i) before each update",
                      rtol=1e-5 if dtype == torch.float32 else 1e-7)
        expect_detached(output, "x")

    f = Recipe("quadratic", (w.to(dtype), c.to(dtype)))
    return Judged(Call("gradient_descent", (f, x0.to(dtype), lr, steps), grads=(1,)), check)


@judged("gradient_descent", CASES)
def quadratic_bowl(draw):
    return descent_case(draw, torch.float64)


@judged("gradient_descent", CASES)
def float32_bowl(draw):
    return descent_case(draw, torch.float32)


# Signum -------------------------------------------------------------------------------------------

DEFAULTS = {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.0}


def signum_model(groups: list[dict], defaults: dict, steps: list) -> list[dict]:
    """Signum written out in float64, per step: params, grads, momentum buffers and what step returns."""
    settings = [{**DEFAULTS, **defaults, **{k: v for k, v in g.items() if k != "params"}}
                for g in groups for _ in g["params"]]
    params = [p.double() for g in groups for p in g["params"]]
    buffers = [None] * len(params)
    history = []
    for how, grads in steps:
        returned = None
        if how == "closure":
            returned = sum((p * g).sum() for p, g in zip(params, grads) if g is not None)
        for i, (p, grad, setting) in enumerate(zip(params, grads, settings)):
            if grad is None:
                continue
            g = grad + setting["weight_decay"] * p
            if setting["momentum"] > 0:
                m = torch.zeros_like(p) if buffers[i] is None else buffers[i]
                buffers[i] = setting["momentum"] * m + (1 - setting["momentum"]) * g
                g = buffers[i]
            params[i] = p - setting["lr"] * torch.sign(g)
        history.append({"params": list(params), "grads": list(grads), "buffers": list(buffers), "returned": returned})
    return history


def check_steps(output, expected: list[dict]) -> None:
    expect_returned(output)
    if not isinstance(output.value, list) or len(output.value) != len(expected):
        raise Mismatch(f"the scenario sent {output.value!r:.100}")
    for number, (got, want) in enumerate(zip(output.value, expected), 1):
        for index, (p, view, grad, buffer, p_want, grad_want, buffer_want) in enumerate(zip(
                got["params"], got["views"], got["grads"], got["buffers"], want["params"], want["grads"],
                want["buffers"])):
            where = f"param {index} after step {number}"
            expect_tensor(p, p_want, what=where)
            expect_tensor(view, p, rtol=0, atol=0, what=f"a view of {where} taken before the first step (update p "
                          "itself in place: new memory leaves its views behind)")
            if grad_want is None:
                expect_data(grad, None, what=f"the grad of {where}")
            else:
                expect_tensor(grad, grad_want, what=f"the grad of {where} (step only reads p.grad)", rtol=0, atol=0)
            if buffer_want is None:
                expect_data(buffer, None, what=f"state[p]['momentum_buffer'] of {where}")
            else:
                expect_tensor(buffer, buffer_want, what=f"state[p]['momentum_buffer'] of {where}")
        if want["returned"] is None:
            expect_data(got["returned"], None, what=f"what step {number} returned")
        else:
            expect_tensor(got["returned"], want["returned"], what=f"what step(closure) {number} returned")


def gradient(draw, shape):
    """A normal gradient with about a quarter of its entries exactly 0 (sign(0) is 0)."""
    grad = draw.normal(*shape)
    return torch.where(draw.uniform(*shape) < 0.25, 0.0, grad)


@judged("Signum", CASES)
def param_groups(draw):
    """Three groups with their own hyperparameters (the first the constructor's defaults, one signSGD),
    a strided param, and a param that never gets a gradient."""
    groups = [
        {"params": [draw.normal(5)]},
        {"params": [draw.normal(3, 2).t()], "lr": draw.number(0.01, 0.2), "momentum": 0.0,
         "weight_decay": draw.number(0.0, 0.5)},
        {"params": [draw.normal(4), draw.normal(2)], "lr": draw.number(0.01, 0.2),
         "momentum": draw.number(0.3, 0.95), "weight_decay": draw.number(0.1, 0.5)},
    ]
    shapes = [p.shape for g in groups for p in g["params"]]
    steps = [("set", [gradient(draw, shape) for shape in shapes[:-1]] + [None]) for _ in range(4)]
    expected = signum_model(groups, {}, steps)
    scenario = Recipe("optimizer_steps", (groups, steps))
    return Judged(Call("Signum", scenario=scenario), lambda output: check_steps(output, expected))


@judged("Signum", CASES)
def closure_steps(draw):
    """step(closure), with lr 0 given to the constructor (valid) and the group's own lr."""
    defaults = {"lr": 0.0, "momentum": draw.number(0.3, 0.95), "weight_decay": draw.number(0.0, 0.5)}
    groups = [{"params": [draw.normal(5)], "lr": draw.number(0.01, 0.2)}]
    steps = [("closure", [gradient(draw, (5,))]) for _ in range(2)]
    expected = signum_model(groups, defaults, steps)
    scenario = Recipe("optimizer_steps", (groups, steps))
    return Judged(Call("Signum", kwargs=defaults, scenario=scenario), lambda output: check_steps(output, expected))


# decay_param_groups -------------------------------------------------------------------------------

@judged("decay_param_groups", CASES)
def tied_and_frozen(draw):
    """A drawn model: a 0-dim param, an embedding tied to an output layer, a layer with a frozen weight,
    norm layers with 1-D weights, a conv kernel, in drawn order."""
    vocabulary, width = draw.size(3, 6), draw.size(2, 4)
    layers = {
        "scalar": ("Scalar", (), {}), "embedding": ("Embedding", (vocabulary, width), {}),
        "output": ("Linear", (width, vocabulary), {"bias": False}), "frozen": ("Linear", (draw.size(2, 4), 3), {}),
        "norm": ("LayerNorm", (draw.size(2, 5),), {}), "batchnorm": ("BatchNorm1d", (draw.size(2, 4),), {}),
        "conv": ("Conv2d", (draw.size(1, 3), draw.size(1, 3), draw.size(1, 3)), {}),
    }
    order = draw.shuffled(list(layers))
    at = {name: position for position, name in enumerate(order)}
    spec = ([layers[name] for name in order], [(f"{at['output']}.weight", f"{at['embedding']}.weight")],
            [f"{at['frozen']}.weight"], draw.fresh_seed())
    built = model(*spec)
    weight_decay = draw.number(0.01, 0.5)
    trainable = [(name, p) for name, p in built.named_parameters() if p.requires_grad]
    expected = [([name for name, p in trainable if p.ndim >= 2], weight_decay),
                ([name for name, p in trainable if p.ndim < 2], 0.0)]

    def check(output):
        expect_returned(output)
        groups = output.value
        if not isinstance(groups, list) or len(groups) != 2 or not all(
                isinstance(g, dict) and {"params", "weight_decay"} <= set(g) for g in groups):
            raise Mismatch(f"expected two dicts with 'params' and 'weight_decay', got {groups!r:.200}")
        for group, (names, decay), rule in zip(groups, expected, ("ndim >= 2", "ndim < 2")):
            expect_data(group["params"], names, what=f"the params of the {rule} group")
            if group["weight_decay"] != decay:
                raise Mismatch(f"the {rule} group has weight_decay {group['weight_decay']!r}, expected {decay}")

    return Judged(Call("decay_param_groups", (Recipe("model", spec), weight_decay),
                       scenario=Recipe("named_param_groups")), check)


# lr_param_groups ----------------------------------------------------------------------------------

PREFIXES = ["enc", "enc.0", "enc.2", "encoder_norm", "dec", "dec.bias", "embed", "scale"]  # prefixed_model's


@judged("lr_param_groups", CASES)
def drawn_prefixes(draw):
    """Some of the model's prefixes, nested ones among them, each with its own drawn lr; the rest at lr."""
    chosen = draw.shuffled([prefix for prefix in PREFIXES if draw.size(0, 1)])
    lr, lr_by_prefix = draw.number(1e-4, 0.1), {prefix: draw.number(1e-4, 0.1) for prefix in chosen}
    seed = draw.fresh_seed()
    owners: dict[str | None, list[str]] = {}
    for name, param in prefixed_model(seed).named_parameters():
        if param.requires_grad:  # the longest prefix that is the name, or is followed by a "." in it
            owner = max((p for p in chosen if name == p or name.startswith(p + ".")), key=len, default=None)
            owners.setdefault(owner, []).append(name)
    expected = [{"params": names, "lr": lr if owner is None else lr_by_prefix[owner]}
                for owner, names in owners.items()]

    def check(output):
        expect_returned(output)
        groups = output.value
        if not isinstance(groups, list) or not all(isinstance(g, dict) and {"params", "lr"} <= set(g) for g in groups):
            raise Mismatch(f"expected a list of dicts with 'params' and 'lr', got {groups!r:.200}")
        expect_data([{"params": g["params"], "lr": g["lr"]} for g in groups], expected,
                    what=f"the groups for lr {lr} and lr_by_prefix {lr_by_prefix}")

    return Judged(Call("lr_param_groups", (Recipe("prefixed_model", (seed,)), lr, lr_by_prefix),
                       scenario=Recipe("named_param_groups")), check)


# minimize_lbfgs -----------------------------------------------------------------------------------

@judged("minimize_lbfgs", CASES)
def quartic_bowl(draw):
    """A convex quartic, a few steps at a small lr (far from converged): the point torch.optim.LBFGS
    itself reaches, with a closure that clears the gradient. x0 requires grad; the result must not."""
    n = draw.size(2, 4)
    w, c, x0 = draw.uniform(n, low=0.5, high=2.0), draw.normal(n), draw.normal(n)
    steps, lr = draw.size(1, 3), draw.number(0.05, 0.3)

    def lbfgs() -> torch.Tensor:
        """Computed when checking only: building a torch.optim optimizer imports torch._dynamo (a second)."""
        x = x0.clone().requires_grad_()
        optimizer = torch.optim.LBFGS([x], lr=lr)

        def closure():
            optimizer.zero_grad()
            loss = (w * (x - c) ** 2 + (x - c) ** 4).sum()
            loss.backward()
            return loss

        for _ in range(steps):
            optimizer.step(closure)
        return x.detach()

    def check(output):
        expect_returned(output)
        expect_values(output, lbfgs(), rtol=0, atol=1e-6)
        expect_detached(output, "the point")

    f = Recipe("quartic", (w, c))
    return Judged(Call("minimize_lbfgs", (f, x0), {"steps": steps, "lr": lr}, grads=(1,)), check)
