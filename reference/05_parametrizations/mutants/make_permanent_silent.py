"""make_permanent_ returns quietly when nothing is parametrized instead of raising ValueError."""


def make_permanent_(module, name="weight"):
    if parametrize.is_parametrized(module, name):
        parametrize.remove_parametrizations(module, name, leave_parametrized=True)
    return module
