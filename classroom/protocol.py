"""The wire of a grading run, both ends of every pipe in one place.

    grader  ──{"run": JobSpec}──►  zygote  ──fork──►  watcher  ──fork──►  job
    grader  ◄──JobResult─────────  zygote  ◄─────────  watcher  ◄─channel─  job

The grader and the zygote speak one JSON object per line. A job speaks to its watcher on its
channel, a pipe that only the job holds: lines of words, each signed with the job's secret (an
HMAC: kata code that writes on the pipe without the secret is caught), then one signed result frame:

    collected N SIG         the kata's N tests are collected (no kata code has run yet)
    start I SIG / end I SIG test I of the plan starts, ends (each test once, in order)
    result LENGTH SIG       followed by LENGTH bytes of JSON; SIG covers them too

The watcher checks every line against the job's plan (``JobSpec.tests``), so the job's progress,
which sizes its watchdog, cannot be made up.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass

MAX_RESULT_BYTES = 64 << 20
MAX_LINE_BYTES = 256


class Exit(enum.IntEnum):
    """How a job's or watcher's process ends (0, what os._exit(0) gives, is never success)."""

    DONE = 83  # the job sent its result
    SETUP_FAILED = 70  # the job could not set itself up (a grader bug, or the machine)
    CRASHED = 71  # the job's own code raised
    WATCHER_FAILED = 72  # the watcher raised (a grader bug)


def signature(secret: bytes, words: list[str], body: bytes = b"") -> str:
    return hmac.new(secret, " ".join(words).encode() + b"\n" + body, hashlib.sha256).hexdigest()[:32]


def line(secret: bytes, *words: object) -> bytes:
    text = [str(word) for word in words]
    return (" ".join(text) + f" {signature(secret, text)}\n").encode()


def frame(secret: bytes, payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    words = ["result", str(len(body))]
    return (" ".join(words) + f" {signature(secret, words, body)}\n").encode() + body


@dataclass
class JobResult:
    """What a watcher reports of its job, and the zygote passes on to the grader."""

    id: int
    status: str  # "": it finished and sent its result; else why it scores nothing
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    payload: dict | None = None  # the job's result frame, once its signature checked
    output: str = ""  # the head and tail of what it printed
    memory_mb: float = 0.0  # the most it held beyond the zygote's own, as measured
    memory_counted_by: str = ""  # "memory cgroup (v1)", ..., or resident memory from /proc

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> JobResult:
        return cls(**data)


class Channel:
    """The watcher's reader of a job's channel: checks every line against the secret and the plan.

    ``forged`` says what was wrong with the first line that did not check out; after it, nothing
    more is read. ``current`` is the plan index of the test in progress, if any.
    """

    def __init__(self, secret: bytes, planned: int | None):
        self.secret = secret
        self.planned = planned  # tests in the plan; None: a collect job (any number)
        self.buffer = bytearray()
        self.collected: int | None = None
        self.current: int | None = None
        self.last = -1  # the last test that started
        self.progress = 0  # signed progress lines so far
        self.result: dict | None = None
        self.forged = ""
        self._expecting: tuple[list[str], str, int] | None = None  # (header words, signature, length)

    def add(self, data: bytes) -> None:
        if self.forged:
            return
        self.buffer += data
        while self.buffer and not self.forged:
            if self._expecting is not None:
                words, sig, length = self._expecting
                if len(self.buffer) < length:
                    return
                body = bytes(self.buffer[:length])
                del self.buffer[:length]
                self._expecting = None
                self._result(words, sig, body)
                continue
            end = self.buffer.find(b"\n")
            if end < 0:
                if len(self.buffer) > MAX_LINE_BYTES:
                    self.forged = "a line of garbage"
                return
            text = bytes(self.buffer[:end]).decode(errors="replace")
            del self.buffer[:end + 1]
            self._line(text.split())

    def _line(self, words: list[str]) -> None:
        if self.result is not None:
            self.forged = "more after its result"
            return
        if len(words) != 3 or not words[1].isdigit():
            self.forged = f"a line it does not know ({' '.join(words)[:60]!r})"
            return
        word, number, sig = words[0], int(words[1]), words[2]
        if word == "result":
            if number > MAX_RESULT_BYTES or number == 0:
                self.forged = f"a result frame of {number} bytes"
            else:
                self._expecting = (words[:2], sig, number)
            return
        if not hmac.compare_digest(sig, signature(self.secret, words[:2])):
            self.forged = f"a '{word}' line without the job's secret"
        elif word == "collected" and self.collected is None:
            if self.planned is not None and number != self.planned:
                self.forged = f"collected {number} tests where the plan has {self.planned}"
            self.collected = number
        elif word == "start" and self.collected is not None and self.current is None and number > self.last \
                and number < self.collected:
            self.current = self.last = number
            self.progress += 1
        elif word == "end" and self.current == number:
            self.current = None
            self.progress += 1
        else:
            self.forged = f"'{word} {number}' out of turn"

    def _result(self, words: list[str], sig: str, body: bytes) -> None:
        if not hmac.compare_digest(sig, signature(self.secret, words, body)):
            self.forged = "a result frame without the job's secret"
            return
        try:
            result = json.loads(body)
        except ValueError:
            result = None
        if not isinstance(result, dict):
            self.forged = "a result frame that is not a JSON object"
            return
        self.result = result
