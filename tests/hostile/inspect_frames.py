"""Attack: walk the stack (inspect, sys._getframe, a traceback's frames) and the garbage collector to
the grader's objects, and clear the violations it recorded.

Defeated by: in a grading job inspect.stack() names the callers without handing out their frames, and
the audit hook refuses frames, gc and tracing when kata code asks for them (torch's own uses pass),
and records it.
Reason: tried to reach the grader's frames|tried to use the grader's frames|tried to use the garbage collector
"""

import gc as _gc
import inspect as _inspect
import sys as _sys


def _clear(objects):
    for value in objects:
        if type(value).__name__ == "Evidence":
            value.violations.clear()


for _attempt in (lambda: [f.frame.f_locals.values() for f in _inspect.stack() if f.frame is not None],
                 lambda: _sys._getframe(1).f_locals.values(),
                 lambda: _gc.get_objects()):
    try:
        _found = _attempt()
    except (PermissionError, ValueError):
        continue
    _clear(_found if not isinstance(_found, list) or not _found or not hasattr(_found[0], "__iter__") else
           [v for part in _found for v in part])
