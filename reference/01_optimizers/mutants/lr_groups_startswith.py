"""lr_param_groups matches a prefix with a bare startswith: "enc" also claims "encoder_norm.weight",
a parameter of another module."""


def lr_param_groups(model, lr, lr_by_prefix):
    if lr < 0 or any(value < 0 for value in lr_by_prefix.values()):
        raise ValueError(f"lr_param_groups: every lr must be >= 0, got lr={lr} and lr_by_prefix={lr_by_prefix}")
    named = list(model.named_parameters())
    for prefix in lr_by_prefix:
        if not any(name.startswith(prefix) for name, _ in named):
            raise ValueError(f"lr_param_groups: prefix {prefix!r} in lr_by_prefix matches no parameter")
    groups = {}
    for name, param in named:
        if param.requires_grad:
            prefix = max((p for p in lr_by_prefix if name.startswith(p)), key=len, default=None)
            group = groups.setdefault(prefix, {"params": [], "lr": lr if prefix is None else lr_by_prefix[prefix]})
            group["params"].append(param)
    return list(groups.values())
