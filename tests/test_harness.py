"""The harness plugin itself, tested the way pytest-timeout tests itself: each behaviour is a small
pytest run (pytester) on a generated toy kata, checked by its outcome lines, table and run report."""

from __future__ import annotations

import json
import os
import re
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


def generated_kata(pytester: pytest.Pytester, folder: str, module: str, points: dict, tests: str, impls: dict):
    """Write kata FOLDER (its kata.json and tests) and one --impl folder per implementation; return
    a function that runs pytest on it with one of them and gives (result, run report)."""
    pytester.makeconftest('pytest_plugins = ["katas.harness.plugin"]\n')
    pytester.makefile(".ini", pytest="[pytest]\naddopts = -p no:cacheprovider\n")
    kata = pytester.mkdir("katas") / folder
    kata.mkdir()
    (kata / "kata.json").write_text(json.dumps({"title": f"a {module}", "module": module, "points": points}))
    (kata / f"test_{module}.py").write_text(textwrap.dedent(tests))
    for name, code in impls.items():
        (pytester.mkdir(name) / folder).mkdir()
        (pytester.path / name / folder / f"{module}.py").write_text(code)

    def run(impl: str, *args: str):
        result = pytester.runpytest("katas", "--impl", str(pytester.path / impl), "--kata-report", "report.json", *args)
        written = pytester.path / "report.json"
        return result, RunReport.read(written) if written.is_file() else None

    return run


@pytest.fixture
def toy(pytester: pytest.Pytester):
    """A kata 01_toy (double: 1 point, half: 2) and one --impl folder per implementation."""
    return generated_kata(pytester, "01_toy", "toy", {"double": 1, "half": 2}, TOY_TESTS, IMPLEMENTATIONS)


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


CHAIN_TESTS = '''
import pytest
import torch

from katas.harness import assert_tensor, cases, implementation

chain = implementation(__file__)


@pytest.mark.parametrize("n", cases("base", [1, 2, 3]))
def test_base(n):
    x = torch.arange(n, dtype=torch.float64, requires_grad=True)
    assert_tensor(chain.base(x), x.detach() + 1, hint="add one")


@pytest.mark.parametrize("n", cases("twice", [1, 2]))
def test_twice(n):
    x = torch.arange(n, dtype=torch.float64)
    assert_tensor(chain.twice(x), x + 2, hint="base, twice")
'''

TWICE = "\n\ndef twice(x):\n    return base(base(x))\n"
CHAINS = {
    "base_stub": "def base(x):\n    raise NotImplementedError\n" + TWICE,
    "base_in_place": "def base(x):\n    x.add_(1)\n    return x\n" + TWICE,
    "base_crashes": "def base(x):\n    raise TypeError('boom')\n" + TWICE,
}


@pytest.fixture
def chain(pytester: pytest.Pytester):
    """A kata 02_chain whose `twice` calls `base`, and one --impl folder per way `base` goes wrong."""
    return generated_kata(pytester, "02_chain", "chain", {"base": 1, "twice": 1}, CHAIN_TESTS, CHAINS)


def test_a_function_calling_a_stub_reads_blocked_by_it(chain):
    result, report = chain("base_stub")
    twice = report.kata("02_chain").function("twice")
    assert twice.status is Status.BLOCKED and twice.blockers == ["base"]
    assert twice.first_failure.message == "chain.twice: blocked by base, which is not implemented yet"
    assert "blocked by base" in table_rows(result)["twice"]
    result.stdout.fnmatch_lines(["*3 not started, 2 blocked*"])


def test_a_function_calling_a_failing_one_reads_blocked_by_it(chain):
    result, report = chain("base_crashes")
    twice = report.kata("02_chain").function("twice")
    assert twice.status is Status.BLOCKED
    assert twice.first_failure.message == "chain.twice: blocked by base, which fails here: boom"
    assert report.kata("02_chain").function("base").status is Status.FAILING


def test_one_root_cause_shows_one_failure_a_count_and_the_fix(chain):
    result, report = chain("base_in_place")
    text = result.stdout.str()
    assert report.kata("02_chain").function("base").count(Outcome.FAILED) == 3
    assert text.count("_ test_base[") == 1, "only base's first failure is shown in full"
    # twice calls base, which fails its own tests: its failures read "blocked by base", not as its own
    assert report.kata("02_chain").function("twice").status is Status.BLOCKED
    result.stdout.fnmatch_lines(["*kata hint*", "*torch.no_grad()*", "*2 more failing tests are only counted*"])
    assert "contextlib.py" not in text and "katas/harness" not in text, "no harness frames in the traceback"
    every, _ = chain("base_in_place", "--every-failure")
    assert every.stdout.str().count("_ test_base[") == 3


def test_the_header_explains_the_progress_letters(chain):
    result, _ = chain("base_stub")
    result.stdout.fnmatch_lines(["progress letters: . passed, F failed, n not started, b blocked*"])


@pytest.mark.skipif(not NO_CUDA, reason="on a CUDA machine the CUDA tests run")
def test_the_table_says_what_cuda_skips_mean(toy):
    result, _ = toy("solved")
    result.stdout.fnmatch_lines(["*3 tests skipped: CUDA is not available*done means done on the CPU; CUDA not checked*"])


def test_a_kata_handed_out_with_a_bug_reads_as_not_started_until_touched(kata_run):
    from katas.harness.kata import all_katas

    (kata,) = [k for k in all_katas() if k.ships_with_bug]
    run = kata_run(kata, "student")
    assert "FAILURES" not in run.output and "Traceback" not in run.output
    last = run.output.splitlines()[-1]
    assert "failed" not in last and "not started" in last, last
    shown = run.report.kata(kata.folder).shown_statuses()
    assert set(shown.values()) == {Status.NOT_STARTED}, shown
    assert any(f in line and "not started" in line and "handed out with a bug" in line
               for f in kata.ships_with_bug for line in run.output.splitlines())


def test_watch_reruns_when_a_kata_file_is_saved(monkeypatch, capsys):
    import katas.__main__ as cli
    from katas.harness.kata import KATAS_DIR

    stub = next((KATAS_DIR / "03_einsum").glob("einsum_ops.py"))
    saves = []

    def sleep(seconds):  # the student saves the file once, after the first run
        if not saves:
            saves.append(stub.stat().st_mtime_ns)
            os.utime(stub, ns=(saves[0], saves[0] + 1))

    monkeypatch.setattr(cli.time, "sleep", sleep)
    try:
        assert cli.main(["watch", "03_einsum", "--stop-after", "2"]) == 0
    finally:
        os.utime(stub, ns=(saves[0], saves[0]))
    out = capsys.readouterr().out
    assert out.count("=====") == 4, "two runs: at the start, and after the save"
    assert out.count("matmul                   not started") == 2
    assert "First failure" not in out, "stubs have no failure to show"


def test_next_names_the_first_function_not_done(monkeypatch, capsys):
    import katas.__main__ as cli
    from katas.harness.kata import all_katas

    monkeypatch.setattr(cli, "all_katas", lambda: [k for k in all_katas() if k.folder == "03_einsum"])
    assert cli.main(["next"]) == 0
    out = capsys.readouterr().out
    assert "Next: einsum_ops.matmul in katas/03_einsum/einsum_ops.py (not started)" in out
    assert "python -m katas hint 03_einsum matmul" in out


def test_signum_without_no_grad_shows_one_failure_a_count_and_the_fix(tmp_path, kata_run):
    from katas.harness.kata import ROOT, all_katas

    (kata,) = [k for k in all_katas() if k.folder == "01_optimizers"]
    source = (ROOT / "reference" / kata.folder / f"{kata.module}.py").read_text()
    assert "    @torch.no_grad()\n    def step" in source
    (tmp_path / kata.folder).mkdir()
    (tmp_path / kata.folder / f"{kata.module}.py").write_text(source.replace("    @torch.no_grad()\n    def step", "    def step"))
    run = kata_run(kata, str(tmp_path))
    signum = run.report.kata(kata.folder).function("Signum")
    assert signum.status is Status.FAILING and signum.count(Outcome.FAILED) > 10
    assert run.output.count("_ test_signum") == 1, "one full failure for Signum"
    assert f"{signum.count(Outcome.FAILED) - 1} also failed" in run.output.splitlines()[-1]
    assert "torch.no_grad()" in run.output.split("kata hint")[1]


def test_a_looping_function_costs_one_time_limit_and_its_other_tests_fail_at_once(toy, pytester):
    """One test of double runs past its limit: it fails saying where the loop was, double's other
    tests fail at once (not another limit each), and half is judged as usual."""
    looping = "def double(x):\n    while True:\n        try:\n            pass\n        except Exception:\n            pass\n\n\n" \
              "def half(x):\n    return x / 2\n"
    (pytester.path / "looping" / "01_toy").mkdir(parents=True)
    (pytester.path / "looping" / "01_toy" / "toy.py").write_text(looping)
    result, report = toy("looping", "-o", "timeout=1", "--device", "cpu")
    assert statuses(report) == {"double": Status.FAILING, "half": Status.DONE}
    first, second = report.kata("01_toy").function("double").tests
    assert re.search(r"still running after this test's 1 s limit, at toy\.py:\d in double", first.message), first.message
    assert first.error == "TestTimedOut"
    assert "not run: an earlier test of double timed out" in second.message, second.message
    assert result.duration < 8, "the second test of double waited out a limit of its own"
