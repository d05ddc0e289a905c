"""The judge's cases for kata 01: each function on freshly drawn inputs, checked against the
contract's own rule.

Grading draws these inputs from a seed secret to the run and checks the results in a process that
never runs your code; `pytest katas/01_optimizers` runs the same cases here, on a fresh draw each time.
"""

from katas.harness.builders import prefixed_model
from katas.harness.judge import Call, Judged, Mismatch, Recipe, expect_data, expect_returned, judged

CASES = []


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
