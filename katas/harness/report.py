"""The run report: what one pytest run of kata tests found, per kata, function and test.

The harness plugin builds it while the tests run; the progress table is rendered from it, the gate
reads it in memory, and ``--kata-report PATH`` writes it as JSON (schema below) for graders, the
export check and any other tool. Nothing reads the printed table.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

from .status import Outcome, Status, as_shown, decide, points

SCHEMA = "torch-katas/run/v1"
# Failures that say only that the code names something nobody defined: no test's check caught them.
NAME_ERRORS = {"NameError", "UnboundLocalError", "ImportError", "ModuleNotFoundError", "MissingName"}
NO_CUDA = "CUDA is not available on this machine"  # why the tests of a real GPU skip without one


class Device(str, Enum):
    """Where a test ran."""

    CPU = "cpu"
    CUDA = "cuda"
    EMULATED_CUDA = "emulated cuda"  # the CPU standing in for a GPU (katas/harness/emulated_cuda.py)

    def __str__(self) -> str:
        return self.value


@dataclass
class TestResult:
    nodeid: str
    outcome: Outcome = Outcome.NOT_RUN
    reason: str = ""  # why it was skipped
    error: str = ""  # the exception type of a failure: AssertionError, NameError, ...
    message: str = ""  # a failure's teaching message (the harness's one-liner when there is one)
    blocked_by: str = ""  # the other kata function it failed inside (outcome BLOCKED)
    device: str = ""  # a Device value; "" for a test without the device parameter

    @property
    def failed_on_a_name(self) -> bool:
        """It failed only because the code uses a name that does not exist (a typo, a helper the
        reference lacks, `torch.nosuch`), not on any behaviour a test checks."""
        return self.error in NAME_ERRORS or (self.error == "AttributeError" and "module '" in self.message)


@dataclass
class FunctionResult:
    name: str
    max_points: int
    tests: list[TestResult] = field(default_factory=list)
    deselected: int = 0  # tests of this function left out of the run (-k, -m, a node id)

    @property
    def status(self) -> Status:
        return decide(t.outcome for t in self.tests)

    @property
    def points(self) -> int:
        return points(self.status, self.max_points)

    def count(self, outcome: Outcome) -> int:
        return sum(t.outcome is outcome for t in self.tests)

    @property
    def skip_reasons(self) -> dict[str, int]:
        return dict(Counter(t.reason for t in self.tests if t.outcome is Outcome.SKIPPED))

    @property
    def first_failure(self) -> TestResult | None:
        return next((t for t in self.tests if t.outcome in (Outcome.FAILED, Outcome.BLOCKED)), None)

    @property
    def blockers(self) -> list[str]:
        return sorted({t.blocked_by for t in self.tests if t.outcome is Outcome.BLOCKED})


@dataclass
class KataResult:
    folder: str
    title: str
    module: str
    functions: list[FunctionResult]
    broken: str = ""  # why the kata module does not import; "" when it does
    # its functions handed out with a bug whose code is still as handed out (status.still_handed_out)
    as_handed_out: list[str] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(f.points for f in self.functions)

    @property
    def max_points(self) -> int:
        return sum(f.max_points for f in self.functions)

    def function(self, name: str) -> FunctionResult:
        return next(f for f in self.functions if f.name == name)

    def shown_statuses(self) -> dict[str, Status]:
        """What the student sees, by function (status.as_shown): a handed-out bug in an untouched kata
        reads "not started". `status` and the points stay what the tests decided."""
        return as_shown({f.name: f.status for f in self.functions if f.tests}, self.as_handed_out)


@dataclass
class RunReport:
    impl: str  # the code under test, as --impl named it
    katas: list[KataResult] = field(default_factory=list)

    def kata(self, folder: str) -> KataResult:
        return next(k for k in self.katas if k.folder == folder)

    def tests(self) -> dict[str, TestResult]:
        return {t.nodeid: t for k in self.katas for f in k.functions for t in f.tests}

    @property
    def devices(self) -> list[Device]:
        """The devices that tests ran on (skipped ones and those without a result not counted)."""
        ran = {t.device for t in self.tests().values() if t.device and t.outcome not in (Outcome.SKIPPED, Outcome.NOT_RUN)}
        return [device for device in Device if device.value in ran]

    def to_json(self) -> dict:
        katas = []
        for kata in self.katas:
            functions = []
            for f in kata.functions:
                failure = f.first_failure
                functions.append({
                    "name": f.name,
                    "status": f.status.value,
                    "points": f.points,
                    "max_points": f.max_points,
                    "tests": {o.name.lower(): f.count(o) for o in Outcome} | {"deselected": f.deselected},
                    "skipped_because": f.skip_reasons,
                    "blocked_by": f.blockers,
                    "first_failure": asdict(failure) if failure else None,
                    "results": [asdict(t) for t in f.tests],
                })
            katas.append({
                "folder": kata.folder, "title": kata.title, "module": kata.module, "broken": kata.broken,
                "points": kata.points, "max_points": kata.max_points, "as_handed_out": kata.as_handed_out,
                "functions": functions,
            })
        return {"schema": SCHEMA, "impl": self.impl, "devices": [d.value for d in self.devices], "katas": katas}

    @classmethod
    def from_json(cls, data: dict) -> RunReport:
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} report (schema {data.get('schema')!r})")
        return cls(data["impl"], [
            KataResult(k["folder"], k["title"], k["module"], [
                FunctionResult(f["name"], f["max_points"],
                               [TestResult(**{**t, "outcome": Outcome(t["outcome"])}) for t in f["results"]],
                               f["tests"]["deselected"])
                for f in k["functions"]
            ], k["broken"], k.get("as_handed_out", []))
            for k in data["katas"]
        ])

    def write(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1))

    @classmethod
    def read(cls, path: Path) -> RunReport:
        return cls.from_json(json.loads(Path(path).read_text()))
