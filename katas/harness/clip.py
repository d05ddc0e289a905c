"""How long a message may be, wherever it is kept or shown: one policy, one place.

A failure message (the run report, a grade, the release body, a workflow log) keeps its head and its
tail (where the hint is) and says what it left out in between.
"""

from __future__ import annotations

MESSAGE_CHARS = 2000
MESSAGE_LINES = 40
NOTE = "[... {} characters left out ...]"


def clip(text: str, chars: int = MESSAGE_CHARS, lines: int = MESSAGE_LINES) -> str:
    """``text`` within ``chars`` characters and ``lines`` lines: its first and last parts, with a line
    between them saying how much of the middle was left out."""
    rows = text.splitlines()
    if len(text) <= chars and len(rows) <= lines:
        return text
    room = chars - len(NOTE.format(len(text))) - 2  # the note and its two line breaks
    head = "\n".join(rows[:lines // 2])[:room // 2]
    tail = "\n".join(rows[len(rows) - (lines - 1 - lines // 2):])[-(room - room // 2):]
    return f"{head}\n{NOTE.format(len(text) - len(head) - len(tail))}\n{tail}"
