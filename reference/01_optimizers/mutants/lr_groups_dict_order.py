"""lr_param_groups builds one group per prefix in the dict's order and puts the rest last, empty or
not: the groups are not in the order of their first parameter, and an empty group is left in."""


def lr_param_groups(model, lr, lr_by_prefix):
    if lr < 0 or any(value < 0 for value in lr_by_prefix.values()):
        raise ValueError(f"lr_param_groups: every lr must be >= 0, got lr={lr} and lr_by_prefix={lr_by_prefix}")
    named = [(name, p) for name, p in model.named_parameters() if p.requires_grad]

    def owner(name):
        return max((p for p in lr_by_prefix if name == p or name.startswith(p + ".")), key=len, default=None)

    for prefix in lr_by_prefix:
        if not any(name == prefix or name.startswith(prefix + ".") for name, _ in model.named_parameters()):
            raise ValueError(f"lr_param_groups: prefix {prefix!r} in lr_by_prefix matches no parameter")
    groups = [{"params": [p for name, p in named if owner(name) == prefix], "lr": value}
              for prefix, value in lr_by_prefix.items()]
    return groups + [{"params": [p for name, p in named if owner(name) is None], "lr": lr}]
