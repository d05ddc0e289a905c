"""make_permanent_ removes the parametrization with leave_parametrized=False: the weight goes back to
the original, and the pruned zeros come back."""


def make_permanent_(module, name="weight"):
    if not parametrize.is_parametrized(module, name):
        raise ValueError(f"make_permanent_: {name!r} of {type(module).__name__} is not parametrized")
    parametrize.remove_parametrizations(module, name, leave_parametrized=False)
    return module
