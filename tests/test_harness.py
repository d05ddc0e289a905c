"""The harness plugin itself, tested the way pytest-timeout tests itself: each behaviour is a small
pytest run (pytester) on a generated toy kata, checked by its outcome lines, table and run report."""

from __future__ import annotations

import json
import os
import textwrap

import pytest
import torch

from katas.harness.report import SCHEMA, RunReport
from katas.harness.status import Outcome, Status

pytest_plugins = ["pytester"]

TOY_TESTS = '''
import pytest
import torch

from katas.harness import assert_tensor, cases, implementation

toy = implementation(__file__)


@pytest.mark.parametrize("n", cases("double", [1, 2]))
def test_double(n, device):
    x = torch.arange(n, dtype=torch.float32, device=device)
    assert_tensor(toy.double(x), 2 * x, hint="multiply by two")


@pytest.mark.checks("half")
def test_half(device):
    x = torch.ones(3, device=device)
    assert_tensor(toy.half(x), x / 2, hint="divide by two")
'''

IMPLEMENTATIONS = {
    "stubs": "def double(x):\n    raise NotImplementedError\n\n\ndef half(x):\n    raise NotImplementedError\n",
    "solved": "def double(x):\n    return x * 2\n\n\ndef half(x):\n    return x / 2\n",
    "wrong": "def double(x):\n    return x * 2\n\n\ndef half(x):\n    return x / 3\n",
    "broken": "import no_such_module\n",
    "loud": "open('IMPORTED', 'w').close()\n\n\ndef double(x):\n    return x * 2\n\n\ndef half(x):\n    return x / 2\n",
}
NO_CUDA = not torch.cuda.is_available()


@pytest.fixture
def toy(pytester: pytest.Pytester):
    """A kata 01_toy (double: 1 point, half: 2) and one --impl folder per implementation."""
    pytester.makeconftest('pytest_plugins = ["katas.harness.plugin"]\n')
    pytester.makefile(".ini", pytest="[pytest]\naddopts = -p no:cacheprovider\n")
    kata = pytester.mkdir("katas") / "01_toy"
    kata.mkdir()
    (kata / "kata.json").write_text(json.dumps({"title": "a toy", "module": "toy", "points": {"double": 1, "half": 2}}))
    (kata / "test_toy.py").write_text(textwrap.dedent(TOY_TESTS))
    for name, code in IMPLEMENTATIONS.items():
        (pytester.mkdir(name) / "01_toy").mkdir()
        (pytester.path / name / "01_toy" / "toy.py").write_text(code)

    def run(impl: str, *args: str):
        result = pytester.runpytest("katas", "--impl", str(pytester.path / impl), "--kata-report", "report.json", *args)
        written = pytester.path / "report.json"
        return result, RunReport.read(written) if written.is_file() else None

    return run


def statuses(report: RunReport) -> dict[str, Status]:
    return {f.name: f.status for f in report.kata("01_toy").functions}


def table_rows(result) -> dict[str, str]:
    """function -> its line of the printed progress table."""
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "kata progress" in line)
    return {line.split()[0]: line for line in lines[start + 2:] if line.startswith("   ") and line.split()}


def test_report_json_is_the_documented_schema(toy):
    toy("solved")
    data = json.loads(open("report.json").read())
    assert data["schema"] == SCHEMA and data["impl"].endswith("solved")
    (kata,) = data["katas"]
    assert (kata["folder"], kata["points"], kata["max_points"], kata["broken"]) == ("01_toy", 3, 3, "")
    double = kata["functions"][0]
    assert set(double) == {"name", "status", "points", "max_points", "tests", "skipped_because", "blocked_by",
                           "first_failure", "results"}
    assert set(double["tests"]) == {"passed", "failed", "not_started", "blocked", "broken", "skipped", "not_run",
                                    "deselected"}
    assert RunReport.from_json(data).to_json() == data, "the JSON reads back to the same report"


def test_stubs_read_not_started_in_the_outcome_line_table_and_report(toy):
    result, report = toy("stubs")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*3 not started*"])
    assert "Traceback" not in result.stdout.str() and "NotImplementedError" not in result.stdout.str()
    assert statuses(report) == {"double": Status.NOT_STARTED, "half": Status.NOT_STARTED}
    rows = table_rows(result)
    assert all(str(Status.NOT_STARTED) in rows[name] for name in ("double", "half"))
    assert report.kata("01_toy").points == 0
    assert report.kata("01_toy").function("double").tests[0].message == "toy.double: not implemented yet"
    verbose, _ = toy("stubs", "-v")
    verbose.stdout.fnmatch_lines(["*test_double*cpu-1* NOT STARTED*"])


def test_the_reference_reads_done_with_full_points(toy):
    result, report = toy("solved")
    assert result.ret == 0
    assert statuses(report) == {"double": Status.DONE, "half": Status.DONE}
    assert "3/3 points" in result.stdout.str()
    assert all(str(Status.DONE) in line for line in table_rows(result).values())


def test_a_wrong_function_fails_alone_with_its_teaching_message(toy):
    result, report = toy("wrong")
    assert statuses(report) == {"double": Status.DONE, "half": Status.FAILING}
    half = report.kata("01_toy").function("half")
    assert half.first_failure.error == "KataFailure"
    assert half.first_failure.message.startswith("toy.half: the result has wrong values")
    assert "Hint: divide by two" in half.first_failure.message
    assert report.kata("01_toy").points == 1
    counted = len(half.tests) - half.count(Outcome.SKIPPED)
    assert f"failing      0/{counted} tests pass" in table_rows(result)["half"]
    # the failure reads as its message, without a traceback through the harness
    assert "checks.py" not in result.stdout.str()


def test_a_module_that_does_not_import_is_broken_once(toy):
    result, report = toy("broken")
    kata = report.kata("01_toy")
    assert "ModuleNotFoundError" in kata.broken and "no_such_module" in kata.broken
    assert statuses(report) == {"double": Status.BROKEN, "half": Status.BROKEN}
    assert kata.broken in result.stdout.str()
    result.stdout.fnmatch_lines(["*3 broken*"])


def test_deselected_tests_are_counted_and_said(toy):
    result, report = toy("solved", "-k", "double")
    assert report.kata("01_toy").function("half").deselected == 2, "cpu and cuda"
    assert report.kata("01_toy").function("half").tests == []
    assert "half" not in table_rows(result), "a function with no selected test has no row"
    assert "tests not selected" in result.stdout.str()


@pytest.mark.skipif(not NO_CUDA, reason="on a CUDA machine the CUDA tests run")
def test_cuda_tests_skip_with_their_reason(toy):
    _, report = toy("solved")
    double = report.kata("01_toy").function("double")
    assert double.skip_reasons == {"CUDA is not available on this machine": 2}
    assert double.status is Status.DONE


def test_collection_does_not_import_kata_code(toy):
    result, _ = toy("loud", "--collect-only")
    assert result.ret == 0
    assert not os.path.exists("IMPORTED"), "pytest's probing at collection imported the kata module"


def test_a_kata_test_without_a_checks_mark_is_a_usage_error(toy, pytester):
    (pytester.path / "katas" / "01_toy" / "test_unmarked.py").write_text("def test_nothing():\n    pass\n")
    result, _ = toy("solved")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*needs exactly one @pytest.mark.checks(name)*double, half*"])
