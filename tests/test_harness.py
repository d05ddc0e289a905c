"""The harness plugin itself, tested the way pytest-timeout tests itself: each behaviour is a small
pytest run (pytester) on a generated toy kata, checked by its outcome lines, table and run report."""

from __future__ import annotations

import json
import os
import re
import textwrap

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from katas.harness import emulated_cuda, generator, tensor_type
from katas.harness.kata import SCHEMA as SCHEMA_OF_KATAS
from katas.harness.report import NO_CUDA as NO_CUDA_REASON
from katas.harness.report import SCHEMA, Device, RunReport
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
    (kata / "kata.json").write_text(json.dumps({"schema": SCHEMA_OF_KATAS, "title": f"a {module}", "module": module,
                                                "points": points}))
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
    result.stdout.fnmatch_lines(["*6 not started*"])
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
    result.stdout.fnmatch_lines(["*6 broken*"])


def test_deselected_tests_are_counted_and_said(toy):
    result, report = toy("solved", "-k", "double")
    assert report.kata("01_toy").function("half").deselected == 2, "cpu and cuda"
    assert report.kata("01_toy").function("half").tests == []
    assert "half" not in table_rows(result), "a function with no selected test has no row"
    assert "tests not selected" in result.stdout.str()


@pytest.mark.skipif(not NO_CUDA, reason="on a CUDA machine the CUDA tests run")
def test_without_a_gpu_the_cuda_half_runs_on_emulated_cuda_and_says_so(toy):
    result, report = toy("solved")
    assert report.devices == [Device.CPU, Device.EMULATED_CUDA]
    double = report.kata("01_toy").function("double")
    assert sorted(t.device for t in double.tests) == ["cpu", "cpu", "emulated cuda", "emulated cuda"]
    assert double.status is Status.DONE and not double.skip_reasons
    assert any(nodeid.endswith("test_half[cuda]") for nodeid in report.tests()), "the same test ids as on a GPU"
    result.stdout.fnmatch_lines(["devices: cpu, emulated cuda (CUDA emulated on the CPU)",
                                 "done means done on the CPU and on emulated CUDA (the CPU standing in for a GPU*"])
    assert json.loads(open("report.json").read())["devices"] == ["cpu", "emulated cuda"]


@pytest.mark.skipif(not NO_CUDA, reason="on a CUDA machine the CUDA tests run")
def test_asking_for_real_cuda_without_a_gpu_skips_its_tests_said_once(toy):
    result, report = toy("solved", "--device", "cuda")
    double = report.kata("01_toy").function("double")
    assert double.skip_reasons == {NO_CUDA_REASON: 2} and double.status is Status.SKIPPED
    assert report.devices == []
    skipped = [line for line in result.stdout.lines if "tests skipped" in line]
    assert skipped == [f"3 tests skipped: {NO_CUDA_REASON} (--device emulated runs them on CUDA emulated on the CPU)"]


def test_device_cpu_runs_the_cpu_half_only_and_says_so(toy):
    result, report = toy("solved", "--device", "cpu")
    assert report.devices == [Device.CPU] and len(report.tests()) == 3
    result.stdout.fnmatch_lines(["done means done on the CPU; CUDA not checked"])


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
    assert "Next: einsum_ops.transpose in katas/03_einsum/einsum_ops.py (not started)" in out
    assert "python -m katas hint 03_einsum transpose" in out


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


def test_a_class_breaks_the_kata_rules_inside_the_scenario_its_tests_run(tmp_path, kata_run):
    """A parametrization's forward runs inside torch (on every read of the weight), never as a call of the
    kata's own: the tests run its scenario under_rules, so a forbidden call there fails as in a function."""
    from katas.harness.kata import ROOT, all_katas

    (kata,) = [k for k in all_katas() if k.folder == "05_parametrizations"]
    source = (ROOT / "reference" / kata.folder / f"{kata.module}.py").read_text()
    (tmp_path / kata.folder).mkdir()
    (tmp_path / kata.folder / f"{kata.module}.py").write_text(source + (
        "\n\ndef _forward(self, X):\n"
        "    scratch = nn.Linear(X.shape[-1], X.shape[-1], bias=False)\n"
        "    torch.nn.utils.parametrizations.orthogonal(scratch)\n"
        "    return scratch.weight\n\n\nOrthogonal.forward = _forward\n"))
    run = kata_run(kata, str(tmp_path), "-k", "orthogonal")
    orthogonal = run.report.kata(kata.folder).function("Orthogonal")
    assert orthogonal.status is Status.FAILING, run.tail()
    assert ("sparsity.Orthogonal called torch.nn.utils.parametrizations.orthogonal, which is off-limits in this kata"
            in orthogonal.first_failure.message), orthogonal.first_failure.message


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


# The CUDA half on a machine without a GPU: what the emulated device lets through and what it catches.
DEVICE_TESTS = '''
import pytest
import torch

from katas.harness import assert_tensor, generator, implementation

placed = implementation(__file__)


@pytest.mark.checks("double")
def test_double(device):
    x = torch.arange(3.0, device=device)
    assert_tensor(placed.double(x), x * 2)


@pytest.mark.checks("noise")
def test_noise_with_a_generator(device):
    x = torch.zeros(3, device=device)
    assert_tensor(placed.noise(x, generator(device, 0)), placed.noise(x, generator(device, 0)))


@pytest.mark.checks("noise")
def test_noise_without_a_generator(device):
    x = torch.zeros(3, device=device)
    assert placed.noise(x).device == x.device
'''
NOISE = "\n\ndef noise(x, generator=None):\n    return x + torch.randn(x.shape, generator=generator, device=x.device)\n"
PLACED = {  # right on every device, though each mixes in something made on the CPU
    "copies_from_the_cpu": "import torch\n\n\ndef double(x):\n    out = torch.empty_like(x)\n"
                           "    out.copy_(x.cpu() * 2)\n    return out\n" + NOISE,
    "cpu_scalar_constant": "import torch\n\n\ndef double(x):\n    return x * torch.tensor(2.0)\n" + NOISE,
    "flag_on_the_cpu": "import torch\n\n\ndef double(x):\n    ready = torch.tensor(True)\n"
                       "    return torch.where(ready, x * 2, x)\n" + NOISE,
}
MISPLACED = {  # right on the CPU only
    "zeros_on_the_cpu": "import torch\n\n\ndef double(x):\n    out = torch.zeros(x.shape)\n    return out + 2 * x\n"
                        + NOISE,
    "noise_on_the_cpu": "import torch\n\n\ndef double(x):\n    return x * 2\n\n\ndef noise(x, generator=None):\n"
                        "    eps = torch.randn(x.shape, generator=generator)\n    return x + eps\n",
}


@pytest.fixture
def placed(pytester: pytest.Pytester):
    """A kata 01_placed (double, noise) and implementations that place their tensors right and wrong."""
    return generated_kata(pytester, "01_placed", "placed", {"double": 1, "noise": 1}, DEVICE_TESTS,
                          PLACED | MISPLACED)


@pytest.mark.parametrize("impl", PLACED)
def test_cpu_copies_scalars_and_flags_are_fine_on_cuda(placed, impl):
    result, report = placed(impl, "--device", "all" if NO_CUDA else "emulated")
    assert all(f.status is Status.DONE for f in report.kata("01_placed").functions), result.stdout.str()
    assert Device.EMULATED_CUDA in report.devices


@pytest.mark.parametrize("impl, function, tensor, line", [
    ("zeros_on_the_cpu", "double", "`out`, a float32 tensor of shape (3,) on cpu", "return out + 2 * x"),
    ("noise_on_the_cpu", "noise", "`eps`, a float32 tensor of shape (3,) on cpu", "return x + eps"),
])
def test_a_tensor_made_on_the_cpu_fails_on_emulated_cuda_naming_it(placed, impl, function, tensor, line):
    _, on_cpu = placed(impl, "--device", "cpu")
    assert on_cpu.kata("01_placed").function(function).status is Status.DONE, "right on the CPU"
    _, report = placed(impl, "--device", "emulated")
    messages = {t.nodeid.split("::")[1]: t.message for t in report.kata("01_placed").function(function).tests}
    message = messages.pop(f"test_{function}[cuda]" if function == "double" else "test_noise_without_a_generator[cuda]")
    assert message.startswith("RuntimeError: Expected all tensors to be on the same device, but found at least two "
                              "devices, cuda:0 and cpu!"), message
    assert tensor in message and f"in placed.{function}, line" in message and line in message, message
    assert "Hint: a tensor made inside the function lives on the CPU" in message
    if function == "noise":  # a CUDA generator cannot draw on the CPU
        message = messages.pop("test_noise_with_a_generator[cuda]")
        assert message.startswith("RuntimeError: Expected a 'cpu' device type for generator but found 'cuda' "
                                  "(randn draws on the CPU, in placed.noise, line"), message
        assert "Hint: a generator draws for one device" in message


# The emulated CUDA device itself.


@pytest.fixture
def emulated():
    with emulated_cuda.EmulatedCuda():
        yield


def test_emulated_tensors_report_cuda_and_hold_their_values_on_the_cpu(emulated):
    x = torch.arange(3.0, device="cuda")
    assert x.is_cuda and x.device == torch.device("cuda", 0) and x.device.type == "cuda"
    assert torch.zeros(2, device=x.device).device == x.device and tensor_type(x) is torch.Tensor
    assert x.cpu().device.type == "cpu" and torch.equal(x.cpu(), torch.arange(3.0))
    assert x.tolist() == [0.0, 1.0, 2.0] and x.sum().item() == 3.0
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        x.numpy()


def test_moves_likes_and_factories_land_on_the_emulated_device(emulated):
    x = torch.ones(3)
    made = [x.cuda(), x.to("cuda"), x.to(torch.zeros(1, device="cuda")), torch.zeros_like(x, device="cuda"),
            torch.tensor([1.0], device="cuda"), torch.eye(2, device="cuda"), torch.randn(2, device="cuda"),
            torch.arange(4, device="cuda"), torch.nn.Linear(3, 2).to("cuda").weight]
    assert all(t.is_cuda for t in made)
    y = x.cuda()
    assert y.cuda() is y and y.to("cuda") is y, "already there: the tensor itself, as on CUDA"
    assert all(t.is_cuda for t in (torch.zeros_like(y), torch.rand_like(y), y.new_ones(2), y.double(), y[1:]))
    assert y.clone().unsqueeze_(0).shape == (1, 3) and torch.add(y, 1, out=torch.empty(0, device="cuda")).shape == (3,)
    y.copy_(torch.full((3,), 5.0))
    back = torch.empty(3)
    back.copy_(y)
    assert back.tolist() == [5.0, 5.0, 5.0]


def test_placement_is_cudas(emulated):
    x = torch.ones(3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device, but found at least two "
                                           "devices, cuda:0 and cpu!"):
        x + torch.ones(3)
    with pytest.raises(RuntimeError, match="found at least two devices"):
        torch.ones(2, 3) @ x
    assert (x + torch.tensor(2.0)).is_cuda and (x * 2).is_cuda, "a CPU scalar or a number mixes freely"
    assert x[torch.tensor([0, 2])].is_cuda, "CPU indices may index a CUDA tensor"


def test_generators_are_cudas(emulated):
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator but found 'cpu'"):
        torch.randn(3, device="cuda", generator=torch.Generator())
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator but found 'cuda'"):
        torch.randn(3, generator=generator("cuda", 0))
    assert generator("cuda", 0).device == torch.device("cuda", 0) and generator("cpu", 0).device.type == "cpu"
    draw = [torch.randn(4, device="cuda", generator=generator("cuda", seed)) for seed in (7, 7, 8)]
    assert torch.equal(draw[0], draw[1]) and not torch.equal(draw[0], draw[2])


def test_autograd_forward_ad_and_modules_work_on_it(emulated):
    import torch.autograd.forward_ad as fwAD

    x = torch.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    (x ** 3).sum().backward()
    assert x.grad.is_cuda and x.grad.tolist() == [3.0, 12.0]
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(torch.sin(fwAD.make_dual(x.detach(), torch.ones(2, device="cuda")))).tangent
    assert tangent.is_cuda and torch.allclose(tangent.cpu(), torch.cos(torch.tensor([1.0, 2.0])))
    tied = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    tied.to("cuda")
    assert tied[1].weight is tied[0].weight and isinstance(tied[0].weight, torch.nn.Parameter), "still tied"
    tied(torch.ones(1, 2, device="cuda")).sum().backward()
    with torch.no_grad():  # a step by hand: torch.optim's step() imports torch._dynamo, seconds
        for p in tied.parameters():
            p -= 0.1 * p.grad
    assert all(p.is_cuda and p.grad.is_cuda for p in tied.parameters())


def test_the_emulator_leaves_nothing_behind():
    own = (emulated_cuda.no_foreign_function_mode, emulated_cuda.no_foreign_dispatch_mode)
    with emulated_cuda.EmulatedCuda():
        assert emulated_cuda.emulating() and all(check() for check in own)
        with TorchDispatchMode():
            assert not emulated_cuda.no_foreign_dispatch_mode(), "a mode of kata code's own is seen"
    assert not emulated_cuda.emulating() and all(check() for check in own)
    assert not torch._C._only_lift_cpu_tensors() and not torch.__future__.get_swap_module_params_on_conversion()
    if NO_CUDA:
        with pytest.raises((AssertionError, RuntimeError), match="not compiled with CUDA|not linked"):
            torch.zeros(2, device="cuda")


def test_k_with_a_function_name_selects_all_its_tests_and_the_table_says_how_many_ran(kata_run):
    """`-k SinhTransform` runs every test of SinhTransform (named test_sinh_transform_...), and a
    function whose tests were only partly selected says how many of them ran."""
    from katas.harness.kata import all_katas

    (kata,) = [k for k in all_katas() if "SinhTransform" in k.points]
    run = kata_run(kata, "reference", "-k", "SinhTransform")
    tests = run.report.kata(kata.folder).function("SinhTransform").tests
    assert len(tests) > 1 and all(t.outcome is Outcome.PASSED for t in tests), [t.nodeid for t in tests]
    assert run.report.kata(kata.folder).function("SinhTransform").deselected == 0
    (einsum,) = [k for k in all_katas() if k.folder == "03_einsum"]
    run = kata_run(einsum, "reference", "-k", "transpose")
    linear = run.report.kata(einsum.folder).function("linear")
    row = next(line for line in run.output.splitlines() if line.split()[:1] == ["linear"])
    assert linear.deselected and f"{len(linear.tests)} of its {len(linear.tests) + linear.deselected} tests ran" in row
