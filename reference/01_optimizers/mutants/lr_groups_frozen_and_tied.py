"""lr_param_groups walks named_parameters(remove_duplicate=False) and keeps frozen parameters: a
tied weight is listed twice (an optimizer refuses that) and frozen ones are handed to the optimizer."""


def lr_param_groups(model, lr, lr_by_prefix):
    if lr < 0 or any(value < 0 for value in lr_by_prefix.values()):
        raise ValueError(f"lr_param_groups: every lr must be >= 0, got lr={lr} and lr_by_prefix={lr_by_prefix}")
    named = list(model.named_parameters(remove_duplicate=False))

    def matches(prefix, name):
        return name == prefix or name.startswith(prefix + ".")

    for prefix in lr_by_prefix:
        if not any(matches(prefix, name) for name, _ in named):
            raise ValueError(f"lr_param_groups: prefix {prefix!r} in lr_by_prefix matches no parameter")
    groups = {}
    for name, param in named:
        prefix = max((p for p in lr_by_prefix if matches(p, name)), key=len, default=None)
        group = groups.setdefault(prefix, {"params": [], "lr": lr if prefix is None else lr_by_prefix[prefix]})
        group["params"].append(param)
    return list(groups.values())
