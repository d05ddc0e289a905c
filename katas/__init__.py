"""torch-katas. The tests check the kata files (`pytest katas/03_einsum`) or, in a notebook, the
functions its cells define:

    import katas
    katas.check("03_einsum")            # every function of kata 03, as this notebook defines them
    katas.check("03_einsum", "matmul")  # one function
    katas.save("03_einsum")             # write the notebook's kata functions into katas/03_einsum/einsum_ops.py

or `%load_ext katas`, then `%kata 03_einsum [matmul]`. Importing this package imports nothing else
outside IPython; inside IPython it starts noting which cells fail (notebook.watch_cells), so that a
check can say when it tests a definition older than its cell's last failed run.
"""

import sys


def check(kata, function=None, namespace=None):
    """Run a kata's tests against the functions defined in ``namespace`` (default: the caller's
    globals: the notebook's); show the progress table, each function's first failure and what the
    notebook hides; return the run report (katas.harness.report.RunReport)."""
    from .notebook import check as check_namespace

    return check_namespace(kata, function, sys._getframe(1).f_globals if namespace is None else namespace)


def save(kata, function=None, namespace=None):
    """Write the kata functions the notebook defines (or only ``function``) into the kata module, in
    place of the module's definitions, with the imports, helpers and constants they use from the
    notebook; return the names written."""
    from .notebook import save as save_namespace

    return save_namespace(kata, function, sys._getframe(1).f_globals if namespace is None else namespace)


def load_ipython_extension(ipython):
    """`%load_ext katas`: adds the `%kata NN_topic [function]` magic."""
    from .notebook import load_ipython_extension as load

    load(ipython)


if getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)() is not None:
    from .notebook import watch_cells

    watch_cells()
