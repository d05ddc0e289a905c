"""Each test's time limit, as the harness enforces it.

pytest-timeout resolves a test's limit (its own marker, then the command line, the environment and
the ini file's `timeout`); the harness only fires it, for kata tests on the main thread: the test
gets a ``TestTimedOut`` that names where the code was, and every later test of the same function
fails at once instead of waiting out the limit again. One looping function costs one limit, in
`pytest katas/NN`, notebook mode and grading alike, and the verdict is the same: that function is
failing.
"""

from __future__ import annotations

import signal
import threading
import traceback

import pytest

from .errors import TestTimedOut


def limit_of(item: pytest.Item) -> float:
    """The test's effective limit in seconds (0: none), exactly as pytest-timeout resolves it."""
    try:
        from pytest_timeout import _get_item_settings
    except ImportError:
        return 0.0
    return float(_get_item_settings(item).timeout or 0.0)


def where(frame, sources: set[str]) -> str:
    """The innermost line of kata code on the stack, else the innermost line: what was running."""
    stack = traceback.extract_stack(frame)
    mine = [entry for entry in stack if entry.filename in sources]
    entry = (mine or stack)[-1]
    return f"{entry.filename.rsplit('/', 1)[-1]}:{entry.lineno} in {entry.name}"


class Timer:
    """Fires a kata test's limit as a TestTimedOut raised in the test itself (pytest-timeout's
    timer hooks, for the signal method on the main thread; anything else is left to it)."""

    def __init__(self) -> None:
        self.armed: pytest.Item | None = None

    def start(self, item: pytest.Item, seconds: float, what: str, sources) -> bool:
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGALRM"):
            return False

        def fire(signum, frame):
            __tracebackhide__ = True
            raise TestTimedOut(f"{what}: still running after this test's {seconds:g} s limit, at "
                               f"{where(frame, sources())} (an endless loop, or far too slow?). The other "
                               f"tests of {what.rsplit('.', 1)[-1]} are not run.")

        signal.signal(signal.SIGALRM, fire)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        self.armed = item
        return True

    def cancel(self, item: pytest.Item) -> bool:
        if self.armed is not item:
            return False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        self.armed = None
        return True
