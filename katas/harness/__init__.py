"""What kata test modules import: the module under test and the shared assertion helpers.

Loaded lazily (PEP 562), so that tools which only need the harness's data (``status``, ``report``,
``kata``) do not pay torch's import.
"""

from __future__ import annotations

import importlib

_HOMES = {
    "assert_grad": "checks", "assert_tensor": "checks", "cases": "checks", "described": "feedback", "fail": "checks",
    "gradients": "checks", "mentions": "checks", "raises_value_error": "checks", "shape_words": "checks",
    "where": "checks", "implementation": "loader", "under_rules": "loader", "judged_tests": "judge",
    "generator": "emulated_cuda", "tensor_type": "emulated_cuda",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
