"""What a grading job is, written down once: its limits and its tests, typed and frozen, with the JSON
they travel in (grader, zygote, watcher, job) and the command-line flags the limits are set by.

One convention for every limit: a number is that limit; ``None`` is "auto", derived from the tests
as the field's help says. No limit is ever switched off.
"""

from __future__ import annotations

import argparse
import base64
import os
from dataclasses import asdict, dataclass, field, fields
from typing import Literal

STARTUP_S = 60.0  # a kata's run beyond its tests: starting, collecting, reporting
COLLECT_S = 300.0  # collecting the pristine tests (no kata code), on a maybe busy machine
UNLIMITED_TEST_S = 1800.0  # the whole run's share of a test that has no limit of its own (timeout 0)
MIN_GRACE_S = 10.0  # how long past its limit a silent test may go before its job is ended


def _limit(flag: str, help: str, default=None):
    return field(default=default, metadata={"flag": flag, "help": help})


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Per kata. A test past its limit fails, as in the student's own `pytest katas/NN`; the rest
    are backstops that a kata whose every test keeps to its limit never meets. Meeting one scores
    the kata zero, with the reason."""

    test_timeout_s: float | None = _limit(
        "--test-timeout", "seconds each test may run; auto: what the student's pytest gives it (the shipped "
        "`timeout`, 10 s, or the test's own timeout marker, as pytest-timeout resolves it)")
    kata_timeout_s: float | None = _limit(
        "--kata-timeout", f"wall-clock seconds for a kata's whole run; auto: {STARTUP_S:g} s plus every test's limit")
    cpu_s: float | None = _limit("--cpu", "CPU seconds for a kata's whole run; auto: its wall-clock budget")
    memory_mb: int = _limit("--memory-mb", "memory a kata may add to what the grader's own process holds: a "
                            "memory cgroup counts it where the machine has one (memory-backed files and shared "
                            "memory included), else resident memory and memory-backed files", 3072)
    disk_mb: int = _limit("--disk-mb", "what a kata may write: its working directory, next to its module, /tmp", 256)
    output_kb: int = _limit("--output-kb", "output kept per kata: its first and last halves (printing is never a "
                            "limit)", 64)
    jobs: int = _limit("--jobs", "katas graded at once", os.cpu_count() or 1)

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"{f.metadata['flag']}: expected a positive number, got {value!r}")

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Limits:
        return cls(**data)

    @classmethod
    def add_flags(cls, parser: argparse.ArgumentParser) -> None:
        """One command-line flag per limit, from its field: adding a limit adds its flag."""
        for f in fields(cls):
            kind = int if f.type == "int" else float
            shown = "auto" if f.default is None else f.default
            parser.add_argument(f.metadata["flag"], dest=f.name, type=kind, default=f.default,
                                help=f"{f.metadata['help']} (default: {shown})")

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Limits:
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class PlannedTest:
    """One test as the collect job found it, with no kata code loaded."""

    nodeid: str
    function: str  # the kata function it checks
    timeout_s: float  # its effective limit (pytest-timeout's resolution); 0: none
    runs: bool  # False: skipped before it runs on this machine (its CUDA half without a GPU)

    @property
    def grace_s(self) -> float:
        """Past its limit, how long it may stay silent before the watcher ends the job (a test whose
        code blocks the timeout signal)."""
        return (self.timeout_s or UNLIMITED_TEST_S) + max(MIN_GRACE_S, self.timeout_s)


@dataclass(frozen=True, kw_only=True)
class JobSpec:
    """One job: collect the pristine tests of some katas, or run one kata's tests on one module."""

    id: int
    kind: Literal["collect", "kata"]
    folders: tuple[str, ...]
    limits: Limits
    module: str = ""  # the kata module's name, and its source (kata jobs)
    source: bytes = b""
    tests: tuple[PlannedTest, ...] = ()  # kata jobs: its kata's collected tests, in order
    deny_read: tuple[str, ...] = ()  # without the sandbox: folders the audit hook refuses to read
    area: str = ""  # without the sandbox: the job's own folder on this machine

    @property
    def wall_s(self) -> float:
        """The whole run's wall-clock budget: the limit, or auto from the tests that will run."""
        if self.kind == "collect":
            return COLLECT_S
        if self.limits.kata_timeout_s is not None:
            return self.limits.kata_timeout_s
        return STARTUP_S + sum(t.timeout_s or UNLIMITED_TEST_S for t in self.tests if t.runs)

    @property
    def cpu_s(self) -> float:
        return self.limits.cpu_s if self.limits.cpu_s is not None and self.kind == "kata" else self.wall_s

    def to_json(self) -> dict:
        data = asdict(self)
        data["source"] = base64.b64encode(self.source).decode()
        return data

    @classmethod
    def from_json(cls, data: dict) -> JobSpec:
        return cls(**{**data, "folders": tuple(data["folders"]), "limits": Limits.from_json(data["limits"]),
                      "source": base64.b64decode(data["source"]), "deny_read": tuple(data["deny_read"]),
                      "tests": tuple(PlannedTest(**t) for t in data["tests"])})


def run_deadline_s(specs: list[JobSpec], jobs: int) -> float:
    """How long a whole grading run may take: every job's budget shared among the slots, plus the
    longest one (the last to start) and the collection. A run that keeps to its jobs' budgets
    never meets it."""
    katas = [s.wall_s for s in specs if s.kind == "kata"]
    return COLLECT_S + sum(katas) / max(1, jobs) + max(katas, default=0.0)
