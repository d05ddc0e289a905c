"""What grading produces: per function, per kata and per submission. Plain data, saved as JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from katas.harness.status import Status


@dataclass
class FunctionGrade:
    function: str
    points: int
    score: int
    status: Status
    passed: int  # tests that ran and passed
    expected: int  # tests that must pass
    detail: str = ""  # the first failure's message


@dataclass
class KataGrade:
    folder: str  # "03_einsum"
    title: str
    score: int
    max_score: int
    functions: list[FunctionGrade]
    reason: str = ""  # why the whole kata scored zero (a limit, tampering); "" when graded normally
    broken: str = ""  # why the kata module does not import; its functions read broken
    seconds: float = 0.0  # wall clock of the kata's process
    test_limit_s: float = 0.0  # the per-test limit its tests ran with (the largest, where they differ)
    cpu_seconds: float = 0.0
    output: str = ""  # what its run printed: the first and last part, with a note when the middle was left out


@dataclass
class SubmissionGrade:
    submission: str
    path: str
    score: int
    max_score: int
    katas: list[KataGrade]
    ignored: list[str] = field(default_factory=list)  # student files the grade did not use
    seconds: float = 0.0  # wall clock of its katas' processes, added up
    isolated: bool = True  # kata code ran in the OS sandbox (bubblewrap); False: processes only
    isolation: str = ""  # "sandbox", or "processes: <why the sandbox was not used>"
    memory: str = ""  # how each kata's memory was counted (a memory cgroup, or /proc)
    limits: dict = field(default_factory=dict)  # the limits graded with (spec.Limits, as JSON)

    def to_json(self) -> dict:
        return asdict(self)


def zero(kata, reason: str, status: Status = Status.ZERO, seconds: float = 0.0, cpu_seconds: float = 0.0,
         output: str = "") -> KataGrade:
    """A kata that scores nothing, for ``reason``, without its tests deciding."""
    return KataGrade(
        kata.folder, kata.title, 0, sum(kata.points.values()),
        [FunctionGrade(f, p, 0, status, 0, 0) for f, p in kata.points.items()],
        reason=reason, seconds=seconds, cpu_seconds=cpu_seconds, output=output,
    )
