"""The student's loop around the tests: what a failing test says, and what `python -m katas` says.

1. a handed-out bug (08's regression_loss) reads "not started" until its kata is touched, by one pure
   rule (status.as_shown) that graders reuse; touched means the buggy function's statements differ from
   the ones kata.json records, or another function of the kata is started;
2. an unexpected exception in kata code is said with the line of kata code it came from and the call
   that got there, in the run report (which watch, notebooks and graders print), with torch's common
   errors explained;
3. a function that calls another kata function which fails its own tests reads "blocked by" it, also
   when the failure is the test's own assertion (04: init_weights through a non-in-place orthogonal_);
4. a ValueError raised by a library call that the input got to (a NaN through a range check) is said
   as that, not as the student's message lacking a word; alternatives are said once each;
5. `python -m katas next` follows the kata last run or edited, and speaks the chosen language;
6. `python -m katas watch` prints the located message of an unexpected exception.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
from pathlib import Path

import pytest

import katas.__main__ as cli
from katas.harness import described
from katas.harness.kata import KATAS_DIR, ROOT, all_katas
from katas.harness.status import Status, as_shown, still_handed_out

KATAS = {kata.folder: kata for kata in all_katas()}
PITFALLS, EINSUM, INIT, SPARSITY = (KATAS[name] for name in
                                    ("08_pitfalls", "03_einsum", "04_init", "05_parametrizations"))


def implementation(tmp_path: Path, kata, definitions: str, base: str = "reference") -> Path:
    """A folder laid out like katas/ whose module is the reference (or the stub) with ``definitions``
    appended; returns the module's path."""
    module = tmp_path / kata.folder / f"{kata.module}.py"
    module.parent.mkdir(parents=True, exist_ok=True)
    source = (ROOT / base / kata.folder / f"{kata.module}.py").read_text()
    module.write_text(source + "\n\n" + textwrap.dedent(definitions))
    return module


# 1. The handed-out bug -------------------------------------------------------------------------------

HANDED_OUT = PITFALLS.handed_out["regression_loss"]


def test_the_handed_out_body_is_the_stubs_body():
    source = (KATAS_DIR / PITFALLS.folder / f"{PITFALLS.module}.py").read_text()
    start = source.index("def regression_loss")
    definition = source[start:source.index("\ndef ", start + 1)]
    assert still_handed_out(definition, HANDED_OUT), (
        "08_pitfalls/kata.json's ships_with_bug records another body than pitfalls.py's regression_loss has")


@pytest.mark.parametrize("definition, untouched", [
    ('def regression_loss(x, w, y):\n    """Any docstring."""\n    # a comment of my own\n'
     "    return torch.linalg.vector_norm(x @ w - y)\n", True),
    ("def regression_loss(x, w, y):\n    return torch.linalg.vector_norm(\n        x @ w - y\n    )\n", True),
    ("def regression_loss(x, w, y):\n    residuals = x @ w - y\n    return torch.linalg.vector_norm(residuals)\n",
     False),
    ("def regression_loss(x, w, y):\n    return torch.linalg.vector_norm((x @ w).flatten() - y.flatten())\n", False),
    ("def regression_loss(x, w, y):\n    return torch.linalg.vector_norm(x @ w - y\n", False),  # does not parse
])
def test_still_handed_out_compares_statements(definition, untouched):
    assert still_handed_out(definition, HANDED_OUT) is untouched


@pytest.mark.parametrize("statuses, untouched, shown", [
    ({"bug": Status.FAILING, "other": Status.NOT_STARTED}, ["bug"], {"bug": Status.NOT_STARTED}),
    ({"bug": Status.FAILING, "other": Status.FAILING}, ["bug"], {"bug": Status.FAILING}),  # kata started
    ({"bug": Status.FAILING, "other": Status.DONE}, ["bug"], {"bug": Status.FAILING}),
    ({"bug": Status.FAILING, "other": Status.NOT_STARTED}, [], {"bug": Status.FAILING}),  # the bug edited
    ({"bug": Status.DONE, "other": Status.NOT_STARTED}, [], {"bug": Status.DONE}),
    ({"bug": Status.FAILING}, ["bug"], {"bug": Status.NOT_STARTED}),  # -k regression_loss: only it ran
])
def test_as_shown_reads_not_started_only_while_the_kata_is_untouched(statuses, untouched, shown):
    assert {name: status for name, status in as_shown(statuses, untouched).items() if name == "bug"} == shown
    assert as_shown(statuses, untouched)["bug"] is not Status.NOT_STARTED or statuses.get("other") in (
        None, Status.NOT_STARTED), "a started kata never hides a failing function"


@pytest.mark.parametrize("change, expected", [
    ("", Status.NOT_STARTED),
    ("regression_loss", Status.FAILING),
    ("nonfinite_grads", Status.FAILING),
])
def test_a_handed_out_bug_reads_failing_once_the_student_touches_the_kata(change, expected, tmp_path, kata_run):
    definitions = {
        "": "",
        # edited, and still wrong: the subtraction still broadcasts
        "regression_loss": "def regression_loss(x, w, y):\n    residuals = x @ w - y\n"
                           "    return torch.linalg.vector_norm(residuals)\n",
        "nonfinite_grads": "def nonfinite_grads(module):\n    return []\n",  # started elsewhere in the kata
    }[change]
    implementation(tmp_path, PITFALLS, definitions, base="katas")
    run = kata_run(PITFALLS, str(tmp_path))
    kata = run.report.kata(PITFALLS.folder)
    assert kata.function("regression_loss").status is Status.FAILING, "the tests' own verdict never changes"
    assert kata.shown_statuses()["regression_loss"] is expected
    assert kata.as_handed_out == ([] if change == "regression_loss" else ["regression_loss"])
    last = run.output.splitlines()[-1]
    if expected is Status.NOT_STARTED:
        assert "failed" not in last and "FAILURES" not in run.output, run.tail()
    else:
        assert "failed" in last and "test_regression_loss" in run.output.split("FAILURES")[1], run.tail()


# 2. Unexpected exceptions, located -------------------------------------------------------------------

AMBIGUOUS = '''\
def matmul(a, b):
    if a > 0:
        pass
    return torch.einsum("ik,kj->ij", a, b)
'''


def test_an_unexpected_exception_names_the_line_and_the_call(tmp_path, kata_run):
    module = implementation(tmp_path, EINSUM, AMBIGUOUS)
    line = module.read_text().splitlines().index("    if a > 0:") + 1
    run = kata_run(EINSUM, str(tmp_path), "-k", "test_values and matmul and not batched")
    failure = run.report.kata(EINSUM.folder).function("matmul").first_failure
    assert failure.message == (
        "RuntimeError: Boolean value of Tensor with more than one value is ambiguous\n"
        f"  at {module}:{line}, in matmul: if a > 0:\n"
        "  in the call matmul(a=float32 tensor (3, 4), b=float32 tensor (4, 5))\n"
        "Hint: a tensor of several elements stood where Python needs one True or False: an if, and/or/not, "
        "or a chained comparison such as a <= x <= b. Decide what the condition means for all the elements "
        "(any() or all()), or keep it elementwise (torch.where)"), failure.message
    assert "kata hint" in run.output and f"{module.name}:{line}" in run.output  # pytest may print the path relative


def test_watch_prints_where_an_unexpected_exception_came_from(tmp_path, monkeypatch, capsys):
    from katas.harness import runner

    module = implementation(tmp_path, EINSUM, AMBIGUOUS, base="katas")
    in_process = runner.run_in_process
    # watch's in-process runs test this folder instead of katas/
    monkeypatch.setattr(runner, "run_in_process", lambda paths, impl="student", *args, **options:
                        in_process(paths, str(tmp_path), *args, **options))
    monkeypatch.setattr(cli.time, "sleep", lambda seconds: None)
    assert cli.main(["watch", "03_einsum", "--stop-after", "1", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "First failure, einsum_ops.matmul (katas/03_einsum/test_einsum_ops.py::" in out, out
    assert f"  at {module}:" in out and "in matmul: if a > 0:" in out and "in the call matmul(a=" in out, out


def test_described_never_cuts_a_value_mid_word():
    assert described(__import__("torch").ones(2, 3, requires_grad=True)) == "float32 tensor (2, 3), requires grad"
    assert described(__import__("torch").tensor([1.0, float("nan")])) == "tensor([1.0, nan], float32)"
    assert described(list(range(10))) == "a list of 10: 0, 1, 2, ..."
    assert described("x" * 100).endswith("'...") and described(None) == "None"


# 3. Blocked by the function it calls -----------------------------------------------------------------

def test_a_function_failing_through_a_failing_function_it_calls_reads_blocked_by_it(tmp_path, kata_run):
    implementation(tmp_path, INIT, '''\
        _fills_in_place = orthogonal_


        def orthogonal_(tensor, gain=1.0, generator=None):
            """Fills a copy, not the tensor: init_weights then leaves every weight as it was."""
            return _fills_in_place(tensor.detach().clone(), gain, generator)
        ''')
    run = kata_run(INIT, str(tmp_path), "-k", "orthogonal or init_weights")
    kata = run.report.kata(INIT.folder)
    assert kata.function("orthogonal_").status is Status.FAILING
    init = kata.function("init_weights")
    assert init.status is Status.BLOCKED and init.blockers == ["orthogonal_"], init.first_failure
    assert init.first_failure.message.startswith(
        "initializers.init_weights: blocked by orthogonal_, which it calls and which fails its own tests: "
        "make orthogonal_ pass first. This test said: "), init.first_failure.message
    assert "List nn." not in init.first_failure.message


# 4. A library's ValueError is not the student's --------------------------------------------------------

def test_a_nan_through_a_range_check_is_said_as_a_library_error(tmp_path, kata_run):
    module = implementation(tmp_path, SPARSITY, '''\
        import math


        def random_mask(shape, sparsity, generator=None, device=None):
            if sparsity < 0 or sparsity > 1:
                raise ValueError(f"random_mask: sparsity must be in [0, 1], got {sparsity}")
            numel = math.prod(shape)
            k = round(sparsity * numel)
            scores = torch.rand(numel, generator=generator, device=device)
            mask = torch.ones(numel, dtype=torch.bool, device=device)
            mask[scores.argsort()[:k]] = False
            return mask.view(shape)
        ''')
    line = module.read_text().splitlines().index("    k = round(sparsity * numel)") + 1
    run = kata_run(SPARSITY, str(tmp_path), "-k", "random_mask and rejects")
    message = run.report.kata(SPARSITY.folder).function("random_mask").first_failure.message
    assert ("raised ValueError('cannot convert float NaN to integer') for sparsity=nan" in message
            and f"no check of its own raised it: a call at {module}:{line}: k = round(sparsity * numel) did"
            in message and "a NaN passes every check" in message), message


def test_each_alternative_keyword_is_said_once(tmp_path, kata_run):
    implementation(tmp_path, KATAS["01_optimizers"], '''\
        def rosenbrock(x, a=1.0, b=100.0):
            if x.shape[-1] < 2:
                raise ValueError("rosenbrock: too short")
            return (b * (x[..., 1:] - x[..., :-1] ** 2) ** 2 + (a - x[..., :-1]) ** 2).sum(-1)
        ''')
    run = kata_run(KATAS["01_optimizers"], str(tmp_path), "-k", "rejects_fewer and 1")
    message = run.report.kata("01_optimizers").function("rosenbrock").first_failure.message
    assert "should mention '1'" in message and "'1' or '1'" not in message, message


# 5. next --------------------------------------------------------------------------------------------

def fake_checkout(tmp_path: Path, edited: list[str], ran: str | None = None, ran_at: float = 0.0) -> Path:
    """A checkout whose kata folders were written an hour ago, with ``edited`` modules saved since, and
    pytest's cache saying which kata a plain `pytest katas/NN` ran last."""
    hour_ago = time.time() - 3600
    for kata in KATAS.values():
        folder = tmp_path / "katas" / kata.folder
        folder.mkdir(parents=True)
        for name in ("kata.json", f"{kata.module}.py"):
            (folder / name).write_text("")
            os.utime(folder / name, (hour_ago, hour_ago))
    for number, folder in enumerate(edited):
        module = tmp_path / "katas" / folder / f"{KATAS[folder].module}.py"
        os.utime(module, (hour_ago + 600 + number, hour_ago + 600 + number))
    if ran:
        record = tmp_path / cli.LAST_RUN
        record.parent.mkdir(parents=True)
        record.write_text(json.dumps({"kata": ran, "at": ran_at}))
    return tmp_path


def test_next_starts_at_03_on_a_fresh_checkout(tmp_path):
    order, active = cli.working_order(list(KATAS.values()), fake_checkout(tmp_path, []))
    assert active is None and [k.folder for k in order][:2] == ["03_einsum", "04_init"]
    assert [k.folder for k in order][-2:] == ["01_optimizers", "02_indexing"]


def test_next_follows_the_kata_last_edited_or_run(tmp_path):
    katas = list(KATAS.values())
    root = fake_checkout(tmp_path / "edited", ["05_parametrizations", "02_indexing"])
    assert cli.last_worked_on(katas, root).folder == "02_indexing", "the module saved last"
    root = fake_checkout(tmp_path / "ran", ["02_indexing"], ran="06_distributions", ran_at=time.time())
    assert cli.last_worked_on(katas, root).folder == "06_distributions", "a pytest run after the edit"
    root = fake_checkout(tmp_path / "old run", ["02_indexing"], ran="06_distributions", ran_at=time.time() - 7200)
    assert cli.last_worked_on(katas, root).folder == "02_indexing", "an edit after the run"


NEXT = {
    "en": ["Next: indexing.pick in katas/02_indexing/indexing.py (not started)",
           "  the lesson:   katas/02_indexing/README.md",
           "  its tests:    pytest katas/02_indexing -k pick",
           "  a hint:       python -m katas hint 02_indexing pick{option}"],
    "ru": ["Дальше: indexing.pick в katas/02_indexing/indexing.py (не начата)",
           "  урок:         katas/02_indexing/README.ru.md",
           "  её тесты:     pytest katas/02_indexing -k pick",
           "  подсказка:    python -m katas hint 02_indexing pick{option}"],
}


@pytest.mark.parametrize("lang, how", [("en", "default"), ("ru", "--lang"), ("ru", "LANG")])
def test_next_names_the_function_in_the_kata_worked_on_in_the_chosen_language(lang, how, tmp_path, monkeypatch,
                                                                               capsys):
    for variable in ("KATAS_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    if how == "LANG":
        monkeypatch.setenv("LANG", "ru_RU.UTF-8")  # no such locale needs to be installed
    monkeypatch.setattr(cli, "ROOT", fake_checkout(tmp_path, ["02_indexing"]))
    assert cli.main(["next", *(["--lang", lang] if how == "--lang" else [])]) == 0
    option = f" --lang {lang}" if how == "--lang" else ""
    assert capsys.readouterr().out.splitlines() == [line.format(option=option) for line in NEXT[lang]]
