"""make_permanent_ removes every parametrization of the module, not only the one on `name`."""


def make_permanent_(module, name="weight"):
    if not parametrize.is_parametrized(module, name):
        raise ValueError(f"make_permanent_: {name!r} of {type(module).__name__} is not parametrized")
    for tensor_name in list(module.parametrizations):
        parametrize.remove_parametrizations(module, tensor_name, leave_parametrized=True)
    return module
