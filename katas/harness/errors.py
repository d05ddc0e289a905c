"""The exceptions by which the harness reports on kata code; the plugin turns each into one short
report instead of a traceback."""

from __future__ import annotations


class KataFailure(AssertionError):
    """A test found kata code wrong; the message names the function, says what differs and why."""


class ForbiddenCallError(BaseException):
    """Kata code called an off-limits function.

    A BaseException, like KeyboardInterrupt, so that a student's ``except Exception`` cannot swallow it.
    """


class TestTimedOut(BaseException):
    """A kata test ran past its time limit; the message says where the code was.

    A BaseException, so that an ``except Exception`` inside the loop cannot swallow it.
    """

    __test__ = False  # not a test class, whatever its name says


class KataLoadError(Exception):
    """The kata module is missing or could not be imported; ``summary`` is one readable line."""

    def __init__(self, summary: str):
        super().__init__(summary)
        self.summary = summary


class MissingName(KataLoadError):
    """The kata module imports but lacks a name the tests need: that function fails, not the kata."""
