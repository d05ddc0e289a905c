"""torch-katas. The tests check the kata files (`pytest katas/03_einsum`) or, in a notebook, the
functions its cells define:

    import katas
    katas.check("03_einsum")            # every function of kata 03, as this notebook defines them
    katas.check("03_einsum", "matmul")  # one function

or `%load_ext katas`, then `%kata 03_einsum [matmul]`. Importing this package imports nothing else:
notebook mode loads on first use, and IPython only when it is running.
"""

import sys


def check(kata, function=None, namespace=None):
    """Run a kata's tests against the functions defined in ``namespace`` (default: the caller's
    globals: the notebook's); show the progress table and each function's first failure; return the
    run report (katas.harness.report.RunReport)."""
    from .notebook import check as check_namespace

    return check_namespace(kata, function, sys._getframe(1).f_globals if namespace is None else namespace)


def load_ipython_extension(ipython):
    """`%load_ext katas`: adds the `%kata NN_topic [function]` magic."""
    from .notebook import load_ipython_extension as load

    load(ipython)
