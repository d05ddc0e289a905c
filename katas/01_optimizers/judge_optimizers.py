"""The judge's cases for kata 01: each function on freshly drawn inputs, checked against the
contract's own rule.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/01_optimizers` runs the same cases here, on a fresh draw each time.
"""

from katas.harness.drive import named_model
from katas.harness.judge import Call, Judged, Mismatch, Recipe, expect_returned, judged

CASES = []

PREFIXES = ["enc", "enc.0", "enc.2", "encoder_norm", "dec", "dec.bias", "embed", "scale"]  # all in named_model


@judged("lr_param_groups", CASES)
def drawn_prefixes(draw):
    chosen = [prefix for prefix in PREFIXES if draw.size(0, 1)]
    rates = draw.uniform(len(chosen) + 1, low=1e-4, high=1e-1).tolist()
    lr, lr_by_prefix = rates[0], dict(zip(chosen, rates[1:]))
    model = named_model()
    names = [name for name, param in model.named_parameters() if param.requires_grad]
    expected: dict[str | None, list[str]] = {}
    for name in names:  # the longest prefix that is the name or is followed by a "." in it
        owner = max((p for p in chosen if name == p or name.startswith(p + ".")), key=len, default=None)
        expected.setdefault(owner, []).append(name)
    groups = [(members, lr if owner is None else lr_by_prefix[owner]) for owner, members in expected.items()]
    by_position = [name for name, _ in model.named_parameters()]  # named_model fills each param with its position

    def check(output):
        expect_returned(output)
        value = output.value
        if not isinstance(value, list) or not all(
                isinstance(g, dict) and isinstance(g.get("params"), list) and "lr" in g for g in value):
            raise Mismatch(f"returned {type(value).__name__}, not a list of dicts with a list 'params' and an 'lr'")
        got = [([by_position[int(p.flatten()[0])] if p.numel() else "?" for p in g["params"]], g["lr"])
               for g in value]
        if got != groups:
            raise Mismatch(f"for lr {lr} and lr_by_prefix {lr_by_prefix}, the groups (names, lr) are {got}, "
                           f"expected {groups}")

    return Judged(Call("lr_param_groups", (Recipe("named_model"), lr, lr_by_prefix)), check)
