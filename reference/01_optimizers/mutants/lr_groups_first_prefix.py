"""lr_param_groups gives a parameter to the first prefix in the dict that matches it, not the longest:
with {"enc": ..., "enc.2": ...}, enc.2's parameters end up in enc's group."""


def lr_param_groups(model, lr, lr_by_prefix):
    if lr < 0 or any(value < 0 for value in lr_by_prefix.values()):
        raise ValueError(f"lr_param_groups: every lr must be >= 0, got lr={lr} and lr_by_prefix={lr_by_prefix}")
    named = list(model.named_parameters())

    def matches(prefix, name):
        return name == prefix or name.startswith(prefix + ".")

    for prefix in lr_by_prefix:
        if not any(matches(prefix, name) for name, _ in named):
            raise ValueError(f"lr_param_groups: prefix {prefix!r} in lr_by_prefix matches no parameter")
    groups = {}
    for name, param in named:
        if param.requires_grad:
            prefix = next((p for p in lr_by_prefix if matches(p, name)), None)
            group = groups.setdefault(prefix, {"params": [], "lr": lr if prefix is None else lr_by_prefix[prefix]})
            group["params"].append(param)
    return list(groups.values())
