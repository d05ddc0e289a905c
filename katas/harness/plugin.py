"""The pytest plugin behind every kata run: --impl, --device and --kata-report, the device and dtype
fixtures, per-test seeds, one-line reports for kata code, the run report and the progress table.

The hooks here only register one ``KataRun`` per pytest config (as pytest-xdist registers its
session object): all per-run state lives on it, so the gate's nested runs never mix.
"""

from __future__ import annotations

import contextlib
import os
import time
import zlib
from pathlib import Path

import pytest
import torch
from _pytest.skipping import evaluate_skip_marks

from . import emulated_cuda, feedback, table
from .clip import clip
from .errors import KataFailure, KataLoadError, TestTimedOut
from .guard import remember
from .kata import KATAS_DIR, Kata, kata_of
from .loader import Session, resolve_impl, running
from .report import NAME_ERRORS, NO_CUDA, Device, FunctionResult, KataResult, RunReport, TestResult
from .status import Outcome, Status, still_handed_out
from .timeouts import Timer

RUN = pytest.StashKey["KataRun"]()
CHECKS = pytest.StashKey[tuple[Kata, str]]()  # on each kata test item: its kata and function
# pytest's progress letters, and the harness's own (said in the header)
# pytest's progress letter for each outcome (its own for passed, failed and skipped, the harness's for
# the others) and its terminal markup, said in the header
LOOK = {Outcome.PASSED: (".", {"green": True}), Outcome.FAILED: ("F", {"red": True}),
        Outcome.NOT_STARTED: ("n", {"yellow": True}), Outcome.BLOCKED: ("b", {"yellow": True}),
        Outcome.BROKEN: ("B", {"red": True}), Outcome.SKIPPED: ("s", {"yellow": True}),
        Outcome.NOT_RUN: ("", {})}
LETTERS = ", ".join(f"{letter} {outcome}" + (" by another function" if outcome is Outcome.BLOCKED else "")
                    for outcome, (letter, _) in LOOK.items() if letter)
# The display category of failures shown as a count instead of in full; the run report still counts
# them as failed.
ALSO_FAILED = "also failed"
NOT_FAILURES = (pytest.skip.Exception, pytest.xfail.Exception)  # raised, but no failure to explain


def _failed(item: pytest.Item, call: pytest.CallInfo) -> bool:
    """A kata test's phase that raised a real failure."""
    return call.excinfo is not None and CHECKS in item.stash and not call.excinfo.errisinstance(NOT_FAILURES)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas")
    group.addoption(
        "--impl", default=os.environ.get("KATA_IMPL", "student"),
        help="code under test: 'student' (katas/, the default), 'reference', a folder laid out "
        "like katas/, or a mutant file reference/NN_topic/mutants/NAME.py. Env: KATA_IMPL.",
    )
    group.addoption(
        "--device", choices=["all", *CHOICES], default="all",
        help="the device the tests run on: cpu, cuda (a real GPU), emulated (CUDA emulated on the CPU) or all "
        "(the default: cpu, and cuda where a GPU is present, else emulated)",
    )
    group.addoption("--kata-report", type=Path, metavar="PATH",
                    help="write the run report (JSON, schema torch-katas/run/v1) to PATH")
    group.addoption("--every-failure", action="store_true",
                    help="show every failing test in full, not only each function's first")


def pytest_configure(config: pytest.Config) -> None:
    try:
        impl = resolve_impl(config.getoption("impl"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(KataRun(config, Session(impl)), "kata-run")


def run_of(config: pytest.Config) -> KataRun:
    """The harness's state for this pytest run (its report, its session)."""
    return config.stash[RUN]


def skip_dynamo_import() -> None:
    """Keep torch.optim from importing torch._dynamo, about two seconds on every run that builds
    an optimizer (the built-in optimizers' step() still imports it: write yours by hand in tests).

    Optimizer.add_param_group, zero_grad, state_dict and load_state_dict are wrapped in
    torch._disable_dynamo, which imports torch._dynamo on first use and caches the result on the
    function as `__dynamo_disable`. Outside torch.compile that wrapper only calls the function, so
    caching the function itself is the same behaviour without the import. Torch versions without
    the cache simply import as before.
    """
    for name in ("add_param_group", "zero_grad", "state_dict", "load_state_dict"):
        function = getattr(getattr(torch.optim.Optimizer, name), "__wrapped__", None)
        if function is not None:
            setattr(function, "__dynamo_disable", function)


CHOICES = {"cpu": Device.CPU, "cuda": Device.CUDA, "emulated": Device.EMULATED_CUDA}  # --device's
EMULATED = pytest.mark.emulated_cuda  # on a test of the emulated device: the plugin enters the emulator


def _devices(config: pytest.Config) -> list[Device]:
    """The devices this run tests on."""
    wanted = config.getoption("device")
    if wanted == "all":
        return [Device.CPU, Device.CUDA if torch.cuda.is_available() else Device.EMULATED_CUDA]
    return [CHOICES[wanted]]


def _device_params(config: pytest.Config) -> list:
    marks = {Device.CUDA: () if torch.cuda.is_available() else pytest.mark.skip(reason=NO_CUDA),
             Device.EMULATED_CUDA: EMULATED}
    # The emulated device is "cuda" to the tests, under the same test ids: verdicts compare across machines.
    return [pytest.param(name, id=name, marks=marks.get(device, ()))
            for device in _devices(config) for name in ["cpu" if device is Device.CPU else "cuda"]]


def _device_of(item: pytest.Item) -> Device | None:
    """The device a test runs on, when it has the `device` parameter."""
    name = getattr(item, "callspec", None) and item.callspec.params.get("device")
    if not name:
        return None
    return Device.EMULATED_CUDA if item.get_closest_marker(EMULATED.name) else Device(name)


def _checked_function(item: pytest.Item, kata: Kata) -> str:
    marks = list(item.iter_markers("checks"))
    if len(marks) != 1 or not marks[0].args or marks[0].args[0] not in kata.points:
        raise pytest.UsageError(
            f"{item.nodeid}: a kata test needs exactly one @pytest.mark.checks(name), with a "
            f"name from {kata.folder}/kata.json: {', '.join(kata.points)}"
        )
    return marks[0].args[0]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Every failure report of a kata test carries what the run report needs: its exception type
    and its message."""
    report = yield
    if not _failed(item, call):
        return report
    report.kata_error = _error_name(call.excinfo.value)
    kata, function = item.stash[CHECKS]
    report.kata_handed_out = function in run_of(item.config)._as_handed_out(kata)
    if not hasattr(report, "kata_message"):
        located = feedback.located(call.excinfo, kata, run_of(item.config).session.source_files())
        message = located or call.excinfo.exconly()
        hint = feedback.torch_hint(message)
        if hint:
            report.sections.append(("kata hint", hint))
            message += f"\nHint: {hint}"
        report.kata_message = clip(message)
    run_of(item.config).note_failure(item, report)
    return report


def _error_name(error: BaseException) -> str:
    """The failure's exception type; the first one in its chain when that was a missing name (a
    check such as raises_value_error reports the NameError it met as its own failure)."""
    first = error
    while (first.__cause__ or first.__context__) is not None:
        first = first.__cause__ or first.__context__
    return type(first if type(first).__name__ in NAME_ERRORS else error).__name__


class KataRun:
    """One pytest run of kata tests: the code under test, and the report of what its tests found."""

    def __init__(self, config: pytest.Config, session: Session):
        self.config = config
        self.session = session
        self.report = RunReport(session.impl.label)
        self._results: dict[str, tuple[KataResult, TestResult]] = {}  # nodeid -> where it is recorded
        self._threads = torch.get_num_threads()
        self._failures: dict[tuple[str, str], list[pytest.TestReport]] = {}  # (kata, function) -> failed reports
        self._katas: dict[str, Kata] = {}  # folder -> the katas this run collected tests of
        self._handed_out: dict[str, list[str]] = {}  # folder -> its buggy functions still as handed out
        self._timer = Timer()
        self._timed_out: dict[tuple[str, str], str] = {}  # (kata, function) -> the test that ran out of time
        config.stash[RUN] = self

    # -- setup and teardown of the run -----------------------------------------------------------

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "checks(function): the kata function this test grades")
        config.addinivalue_line("markers", "emulated_cuda: the test runs on the emulated CUDA device")
        # TF32 would make CUDA results differ from CPU in the third digit.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        # Every tensor in the tests is tiny: waking a thread pool per op costs more than the op, and
        # on a busy machine many times more.
        torch.set_num_threads(1)
        skip_dynamo_import()

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        torch.set_num_threads(self._threads)
        self.session.close()

    def pytest_report_header(self, config: pytest.Config) -> list[str]:
        devices = _devices(config)
        said = ", ".join(devices)
        if Device.EMULATED_CUDA in devices:
            said += " (CUDA emulated on the CPU)"
        elif Device.CUDA in devices and not torch.cuda.is_available():
            said += f" ({NO_CUDA}: its tests skip)"
        return [f"kata code under test: {self.session.impl.label}", f"devices: {said}", f"progress letters: {LETTERS}"]

    # -- collection ------------------------------------------------------------------------------

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "device" in metafunc.fixturenames:
            metafunc.parametrize("device", _device_params(metafunc.config))
        if "dtype" in metafunc.fixturenames:
            metafunc.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """`-k NAME` selects every test of the kata function NAME, whatever its tests are called
        (SinhTransform's are test_sinh_transform_...): before pytest applies -k, each test gets the
        name of the function it checks as a keyword."""
        for item in items:
            mark = item.get_closest_marker("checks")
            if mark is not None and mark.args and isinstance(mark.args[0], str):
                item.extra_keyword_matches.add(mark.args[0])

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            kata = kata_of(item.path)
            if kata is not None:
                self._function(kata, _checked_function(item, kata)).deselected += 1

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            kata = kata_of(item.path)
            if kata is None:
                continue
            remember(kata)
            function = _checked_function(item, kata)
            item.stash[CHECKS] = (kata, function)
            skip = evaluate_skip_marks(item)  # known before anything runs: a collect-only report has it
            result = TestResult(item.nodeid, *((Outcome.SKIPPED, skip.reason) if skip else ()),
                                device=_device_of(item) or "")
            self._function(kata, function).tests.append(result)
            self._results[item.nodeid] = (self.report.kata(kata.folder), result)

    def _function(self, kata: Kata, name: str) -> FunctionResult:
        if kata.folder not in self._katas:
            self._katas[kata.folder] = kata
            self.report.katas.append(KataResult(
                kata.folder, kata.title, kata.module, [FunctionResult(f, p) for f, p in kata.points.items()]))
            self.report.katas.sort(key=lambda k: k.folder)
        return self.report.kata(kata.folder).function(name)

    # -- running ---------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _kata_test(self, request: pytest.FixtureRequest):
        """Seed every test by its name, let messages name the function it checks, and emulate CUDA
        for the tests of the emulated device."""
        _seed(zlib.crc32(request.node.name.encode()))
        checks = request.node.stash.get(CHECKS, None)
        emulated = request.node.get_closest_marker(EMULATED.name) is not None
        with running(self.session, f"{checks[0].module}.{checks[1]}" if checks else "kata code"), \
                (emulated_cuda.EmulatedCuda() if emulated else contextlib.nullcontext()):
            yield

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings) -> bool | None:
        """pytest-timeout resolved this test's limit; a kata test's is fired by the harness."""
        checks = item.stash.get(CHECKS, None)
        if checks is None or settings.method != "signal":
            return None
        what = f"{checks[0].module}.{checks[1]}"
        return self._timer.start(item, settings.timeout, what, self.session.source_files) or None

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_timeout_cancel_timer(self, item: pytest.Item) -> bool | None:
        return self._timer.cancel(item) or None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_call(self, item: pytest.Item) -> None:
        """A function that has run out of time once fails its other tests at once: one loop, one limit."""
        checks = item.stash.get(CHECKS, None)
        earlier = self._timed_out.get((checks[0].folder, checks[1])) if checks else None
        if earlier:
            raise KataFailure(f"{checks[0].module}.{checks[1]}: not run: an earlier test of {checks[1]} timed out "
                              f"({earlier.split('::')[-1]})")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
        """Kata failures that explain themselves get a one-line report, made before pytest spends
        time formatting a traceback that nobody needs to read; the others lose the harness's frames."""
        if not _failed(item, call):
            return None
        kata, function = item.stash[CHECKS]
        if call.excinfo.errisinstance(TestTimedOut):
            self._timed_out.setdefault((kata.folder, function), item.nodeid)
        summary = feedback.summarize(call.excinfo, kata, function, self.session.source_files(),
                                     lambda name: self._failing(kata, name), lambda: self._calls(kata, function))
        if summary is None:
            feedback.without_machinery(call.excinfo)
            return None
        report = pytest.TestReport(
            item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed", summary.line, call.when,
            duration=call.duration, start=call.start, stop=call.stop, user_properties=item.user_properties,
        )
        report.kata_outcome, report.kata_message, report.kata_blocked_by = summary.outcome, summary.line, summary.blocked_by
        return report

    def _calls(self, kata: Kata, function: str) -> set[str]:
        """The other kata functions the checked one's code names (blocked-by reads them); none once the
        function has run out of time (its own loop, whatever it calls)."""
        if (kata.folder, function) in self._timed_out:
            return set()
        try:
            return feedback.kata_calls(getattr(self.session.module(kata), function, None), kata, function)
        except KataLoadError:
            return set()

    def _as_handed_out(self, kata: Kata) -> list[str]:
        """The kata's functions handed out with a bug whose code is still as handed out, read once per
        run from the source of the code its tests loaded (nothing is loaded for it)."""
        if kata.folder not in self._handed_out:
            module = self.session.modules.get(kata.folder)
            if module is None or isinstance(module, KataLoadError):
                return []
            self._handed_out[kata.folder] = [
                name for name, body in kata.handed_out.items()
                if still_handed_out(feedback.definition(getattr(module, name, None)) or "", body)
            ]
        return self._handed_out[kata.folder]

    def _failing(self, kata: Kata, function: str) -> bool:
        """Some test of the function has failed in this run, so far."""
        passing = (Outcome.PASSED, Outcome.SKIPPED, Outcome.NOT_RUN)
        return any(t.outcome not in passing for t in self.report.kata(kata.folder).function(function).tests)

    def note_failure(self, item: pytest.Item, report: pytest.TestReport) -> None:
        """Each function's first failure is shown in full; later ones only counted (one root cause,
        one message), unless --every-failure."""
        if not report.failed or getattr(report, "kata_outcome", None) is not None:
            return
        key = item.stash[CHECKS][0].folder, item.stash[CHECKS][1]
        shown = self._failures.setdefault(key, [])
        if shown and not self.config.getoption("every_failure"):
            report.kata_repeat = True
        shown.append(report)

    def pytest_report_teststatus(self, report: pytest.TestReport):
        if getattr(report, "kata_handed_out", False):  # a handed-out bug: a task, unless its kata is started
            outcome = Outcome.NOT_STARTED
        elif getattr(report, "kata_repeat", False):
            letter, markup = LOOK[Outcome.FAILED]
            return ALSO_FAILED, letter, (Outcome.FAILED.value.upper(), markup)
        else:
            outcome = getattr(report, "kata_outcome", None)
        if outcome not in (Outcome.NOT_STARTED, Outcome.BLOCKED, Outcome.BROKEN):
            return None  # pytest's own words and letters
        letter, markup = LOOK[outcome]
        return outcome.value, letter, (outcome.value.upper(), markup)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        kata, result = self._results.get(report.nodeid, (None, None))
        if result is None or result.outcome in (Outcome.FAILED, Outcome.NOT_STARTED, Outcome.BLOCKED, Outcome.BROKEN):
            return  # not a kata test, or already decided: a teardown error cannot undo a failure
        if report.failed:
            result.outcome = getattr(report, "kata_outcome", None) or Outcome.FAILED
            result.error = getattr(report, "kata_error", "")
            result.message = clip(getattr(report, "kata_message", "") or str(report.longrepr))
            result.blocked_by = getattr(report, "kata_blocked_by", "")
            if result.outcome is Outcome.BROKEN:
                kata.broken = result.message
        elif report.skipped:
            result.outcome = Outcome.SKIPPED
            result.reason = report.longrepr[2].removeprefix("Skipped: ") if isinstance(report.longrepr, tuple) else ""
        elif report.when == "call":
            result.outcome = Outcome.PASSED

    # -- the end ---------------------------------------------------------------------------------

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for kata in self.report.katas:
            kata.as_handed_out = self._as_handed_out(self._katas[kata.folder])
        path = self.config.getoption("kata_report")
        if path is not None:
            self.report.write(path)
        self._settle_handed_out_bugs()
        self._remember_the_kata()

    def _settle_handed_out_bugs(self) -> None:
        """A function handed out with a bug (08's regression_loss) fails from the start. Its failures
        were said as "not started" while they ran; they stay so while the table shows it "not started"
        (status.as_shown), and become failures, shown in full, once the student has touched its kata."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is None:
            return
        for kata in self.report.katas:
            shown = kata.shown_statuses()
            for function in self._katas[kata.folder].ships_with_bug:
                failed = self._failures.get((kata.folder, function), [])
                if shown.get(function) is Status.NOT_STARTED:
                    self._failures.pop((kata.folder, function), None)
                    continue
                moved = [r for r in failed if getattr(r, "kata_handed_out", False)]
                if not moved:
                    continue
                waiting = reporter.stats.get(Outcome.NOT_STARTED.value, [])
                reporter.stats[Outcome.NOT_STARTED.value] = [r for r in waiting if r not in moved]
                for report in moved:
                    report.kata_handed_out = False  # said as the failure it is from now on
                    reporter.stats.setdefault(ALSO_FAILED if getattr(report, "kata_repeat", False) else "failed",
                                              []).append(report)

    def _remember_the_kata(self) -> None:
        """A student's own `pytest katas/NN` (pytest's cache on, the student's katas/ under test) leaves
        which kata it ran, so that `python -m katas next` continues there. Graders and the gate run
        without the cache, and a run of several katas says nothing about which one is being worked on."""
        cache = getattr(self.config, "cache", None)
        if cache is None or self.session.impl.folder != KATAS_DIR or len(self.report.katas) != 1:
            return
        cache.set("katas/last_run", {"kata": self.report.katas[0].folder, "at": time.time()})

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if not self.report.katas:
            return
        terminalreporter.section(f"kata progress: {self.report.impl}", sep="=")
        hidden = sum(len(shown) - 1 for shown in self._failures.values() if len(shown) > 1)
        for text, markup in table.lines(self.report, self._katas):
            terminalreporter.write_line(text, **markup)
        if hidden and not self.config.getoption("every_failure"):
            terminalreporter.write_line(f"Each function's first failure is shown above; {hidden} more failing "
                                        "tests are only counted (--every-failure shows them all).")


def _seed(seed: int) -> None:
    """torch.manual_seed without its cost where CUDA is not initialized: there it queues the seeding
    of CUDA and XPU with a formatted stack of the caller, about 2 ms a test. The emulated device
    draws from the CPU's generator."""
    torch.default_generator.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
