"""lr_param_groups lets a prefix that matches nothing pass silently: a typo such as "encoder" for
"enc" leaves those parameters at the default lr, and nobody is told."""


def lr_param_groups(model, lr, lr_by_prefix):
    if lr < 0 or any(value < 0 for value in lr_by_prefix.values()):
        raise ValueError(f"lr_param_groups: every lr must be >= 0, got lr={lr} and lr_by_prefix={lr_by_prefix}")
    groups = {}
    for name, param in model.named_parameters():
        if param.requires_grad:
            prefix = max((p for p in lr_by_prefix if name == p or name.startswith(p + ".")), key=len, default=None)
            group = groups.setdefault(prefix, {"params": [], "lr": lr if prefix is None else lr_by_prefix[prefix]})
            group["params"].append(param)
    return list(groups.values())
