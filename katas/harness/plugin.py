"""The pytest plugin behind every kata run: --impl and --device, the device and dtype fixtures,
per-test seeds, one-line reports for unfinished or broken kata code, and the progress table."""

from __future__ import annotations

import os
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
import torch

from .kata import Kata, kata_of
from .loader import KataLoadError, MissingName, Session, pop_session, push_session, resolve_impl

NOT_STARTED, BROKEN = "not started", "broken"
SESSION = pytest.StashKey[Session]()
PROGRESS = pytest.StashKey["Progress"]()
CHECKS = pytest.StashKey[tuple[Kata, str]]()  # on each kata test item: its kata and function
THREADS = pytest.StashKey[int]()  # torch's thread count before this run, restored after it


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("katas")
    group.addoption(
        "--impl", default=os.environ.get("KATA_IMPL", "student"),
        help="code under test: 'student' (katas/, the default), 'reference', a folder laid out "
        "like katas/, or a mutant file reference/NN_topic/mutants/NAME.py. Env: KATA_IMPL.",
    )
    group.addoption("--device", choices=["cpu", "cuda"], help="run only this device's tests")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "checks(function): the kata function this test grades")
    try:
        impl = resolve_impl(config.getoption("impl"))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    # TF32 would make CUDA results differ from CPU in the third digit.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    session = Session(impl)
    config.stash[THREADS] = torch.get_num_threads()
    # Every tensor in the tests is tiny: waking a thread pool per op costs more than the op, and
    # on a busy machine many times more.
    torch.set_num_threads(1)
    _skip_dynamo_import()
    push_session(session)
    config.stash[SESSION] = session
    config.stash[PROGRESS] = Progress()


def _skip_dynamo_import() -> None:
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


def pytest_unconfigure(config: pytest.Config) -> None:
    if SESSION in config.stash:
        torch.set_num_threads(config.stash[THREADS])
        pop_session()


def pytest_report_header(config: pytest.Config) -> str:
    return f"kata code under test: {config.stash[SESSION].impl.label}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "device" in metafunc.fixturenames:
        metafunc.parametrize("device", _devices(metafunc.config))
    if "dtype" in metafunc.fixturenames:
        metafunc.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])


def _devices(config: pytest.Config) -> list:
    wanted = config.getoption("device")
    no_cuda = pytest.mark.skip(reason="CUDA is not available on this machine")
    return [
        pytest.param(name, marks=no_cuda if name == "cuda" and not torch.cuda.is_available() else ())
        for name in ("cpu", "cuda")
        if wanted in (None, name)
    ]


def pytest_collection_finish(session: pytest.Session) -> None:
    progress = session.config.stash[PROGRESS]
    for item in session.items:
        kata = kata_of(item.path)
        if kata is None:
            continue
        marks = list(item.iter_markers("checks"))
        if len(marks) != 1 or marks[0].args[0] not in kata.points:
            raise pytest.UsageError(
                f"{item.nodeid}: a kata test needs exactly one @pytest.mark.checks(name), with a "
                f"name from {kata.folder}/kata.json: {', '.join(kata.points)}"
            )
        item.stash[CHECKS] = (kata, marks[0].args[0])
        progress.expect(item.nodeid, kata, marks[0].args[0])


@pytest.fixture(autouse=True)
def _kata_test(request: pytest.FixtureRequest):
    """Seed every test by its name, and let messages name the function it checks."""
    torch.manual_seed(zlib.crc32(request.node.name.encode()))
    checks = request.node.stash.get(CHECKS, None)
    session = request.config.stash[SESSION]
    session.where = f"{checks[0].module}.{checks[1]}" if checks else "kata code"
    yield
    session.where = "kata code"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> pytest.TestReport | None:
    """Unfinished or broken kata code gets a one-line report, made before pytest spends time
    formatting a traceback that nobody needs to read."""
    checks = item.stash.get(CHECKS, None)
    if checks is None or call.excinfo is None:
        return None
    error, kata = call.excinfo.value, checks[0]
    if isinstance(error, MissingName):
        status, summary = None, error.summary
    elif isinstance(error, KataLoadError):
        status, summary = BROKEN, error.summary
    elif isinstance(error, NotImplementedError):
        raised_in = call.excinfo.traceback[-1]
        if str(raised_in.path) not in item.config.stash[SESSION].source_files():
            return None  # raised by torch or a library: a real failure, with its traceback
        status, summary = NOT_STARTED, f"{kata.module}.{raised_in.name}: not implemented yet"
    else:
        return None
    return pytest.TestReport(
        item.nodeid, item.location, dict.fromkeys(item.keywords, 1), "failed", summary, call.when,
        duration=call.duration, start=call.start, stop=call.stop, user_properties=item.user_properties,
        kata_status=status,
    )


def pytest_report_teststatus(report: pytest.TestReport):
    status = getattr(report, "kata_status", None)
    if status == NOT_STARTED:
        return "not started", "n", ("NOT STARTED", {"yellow": True})
    if status == BROKEN:
        return "broken", "B", ("BROKEN", {"red": True})
    return None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _running:
        _running[-1].record(report)


_running: list[Progress] = []  # logreport gets no config; the gate nests runs, the innermost records


def pytest_sessionstart(session: pytest.Session) -> None:
    _running.append(session.config.stash[PROGRESS])


def pytest_sessionfinish(session: pytest.Session) -> None:
    _running.pop()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    progress = config.stash[PROGRESS]
    if not progress.katas:
        return
    write = terminalreporter.write_line
    terminalreporter.section(f"kata progress: {config.stash[SESSION].impl.label}", sep="=")
    for kata in sorted(progress.katas.values(), key=lambda k: k.number):
        rows = progress.summary(kata)
        earned = sum(kata.points[f] for f, (status, _, _) in rows.items() if status == "done")
        write(f"{kata.folder:<22} {kata.title:<52} {earned}/{sum(kata.points.values())} points")
        if kata.folder in progress.broken:
            write(f"   {progress.broken[kata.folder]}", red=True, bold=True)
            continue
        for function, (status, passed, counted) in rows.items():
            detail = f"{passed}/{counted} tests pass" if status == "failing" else ""
            write(f"   {function:<24} {status:<12} {detail}", **_COLORS[status])


_COLORS = {"done": {"green": True}, "failing": {"red": True}, NOT_STARTED: {"yellow": True}, "skipped": {}, "not run": {}}


@dataclass
class Progress:
    """Per kata and function, the outcome of each of its tests in this run."""

    katas: dict[str, Kata] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    broken: dict[str, str] = field(default_factory=dict)  # kata folder -> why its module won't load
    owner: dict[str, tuple[str, str]] = field(default_factory=dict)  # nodeid -> (kata, function)

    def expect(self, nodeid: str, kata: Kata, function: str) -> None:
        self.katas[kata.folder] = kata
        self.owner[nodeid] = (kata.folder, function)

    def record(self, report: pytest.TestReport) -> None:
        owner = self.owner.get(report.nodeid)
        if owner is None or (report.when != "call" and report.passed):
            return
        status = getattr(report, "kata_status", None) or report.outcome
        if status == BROKEN:
            self.broken[owner[0]] = str(report.longrepr)
        tests = self.outcomes[owner]
        if tests.get(report.nodeid, "passed") == "passed":  # a teardown error still fails a test
            tests[report.nodeid] = status

    def summary(self, kata: Kata) -> dict[str, tuple[str, int, int]]:
        """function -> (status, tests passed, tests counted), for the functions this run tested."""
        tested = {function for folder, function in self.owner.values() if folder == kata.folder}
        return {f: self.status(kata.folder, f) for f in kata.points if f in tested}

    def status(self, folder: str, function: str) -> tuple[str, int, int]:
        recorded = list(self.outcomes[(folder, function)].values())
        outcomes = [o for o in recorded if o != "skipped"]
        passed = outcomes.count("passed")
        if folder in self.broken:
            return BROKEN, 0, len(outcomes)
        if not outcomes:
            return ("skipped" if recorded else "not run"), 0, 0
        if passed == len(outcomes):
            return "done", passed, len(outcomes)
        if outcomes.count(NOT_STARTED) == len(outcomes):
            return NOT_STARTED, 0, len(outcomes)
        return "failing", passed, len(outcomes)
