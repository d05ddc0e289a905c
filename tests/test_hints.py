"""Hints on request, and checks that never reject a right answer.

1. every kata has a hints.json with 2-4 hints for each function of its kata.json, in lesson order,
   and no hint holds a statement or an einsum equation of the reference solution;
2. no kata README holds a hint (`cat README.md` would print it expanded);
3. `python -m katas hint KATA FUNCTION` shows one hint per call, the next one each time, and
   `--all` shows every one, remembered in a seen-file of the checkout it runs in;
4. answers the tests once rejected for the wording of an error or the order of a subtraction now
   read "done": a ValueError message that names another argument of the failing condition, a fans
   message that says "2-D", a log-softmax in the textbook order at magnitude 1e4 in float32.
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
from pathlib import Path

import pytest

import katas.__main__ as cli
from katas.harness import hints
from katas.harness.kata import KATAS_DIR, ROOT, Kata, all_katas
from katas.harness.status import Status

KATAS = all_katas()


def by_kata():
    return [pytest.param(kata, id=kata.folder) for kata in KATAS]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# hints.json --------------------------------------------------------------------------------------


@pytest.mark.parametrize("kata", by_kata())
def test_every_function_has_hints(kata):
    data = json.loads(hints.hints_file(KATAS_DIR / kata.folder).read_text(encoding="utf-8"))
    assert data.get("schema") == hints.SCHEMA, f"{kata.folder}/hints.json: schema {data.get('schema')!r}"
    table = data["hints"]
    assert list(table) == list(kata.points), (
        f"{kata.folder}/hints.json lists {list(table)}; kata.json's functions, in that order, are {list(kata.points)}")
    for function, given in table.items():
        assert isinstance(given, list) and 2 <= len(given) <= 4, f"{kata.folder}: {function} needs 2-4 hints"
        assert all(isinstance(h, str) and h.strip() for h in given), f"{kata.folder}: {function} has an empty hint"


def reference_code(kata: Kata) -> set[str]:
    """Each statement of the reference's function bodies (docstrings and raises aside) that is long
    enough to be an answer, and every string holding an einsum equation, whitespace removed."""
    tree = ast.parse((ROOT / "reference" / kata.folder / f"{kata.module}.py").read_text())
    pieces = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "->" in node.value:
            pieces.add(flat(node.value))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for statement in ast.walk(node):
                if isinstance(statement, ast.stmt) and not isinstance(statement, (ast.FunctionDef, ast.Raise, ast.If)):
                    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                        continue  # a docstring
                    code = flat(ast.unparse(statement))
                    if len(code) >= 24:
                        pieces.add(code.removeprefix("return"))
    return pieces


@pytest.mark.parametrize("kata", by_kata())
def test_no_hint_is_the_reference_code(kata):
    leaked = [(function, piece) for function, given in hints.hints_of(KATAS_DIR / kata.folder).items()
              for piece in reference_code(kata) for hint in given if piece in flat(hint)]
    assert not leaked, f"{kata.folder}: hints that hold the reference's code: {leaked}"


@pytest.mark.parametrize("kata", by_kata())
def test_no_readme_holds_a_hint(kata):
    text = (KATAS_DIR / kata.folder / "README.md").read_text(encoding="utf-8")
    assert "<details" not in text, f"{kata.folder}/README.md holds <details> hints: move them to hints.json"
    assert f"python -m katas hint {kata.folder}" in text, f"{kata.folder}/README.md does not say how to ask for a hint"


# python -m katas hint ----------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """The CLI's seen-file goes to tmp_path, never into the real checkout."""
    real = ROOT / hints.SEEN_FILE
    before = real.read_bytes() if real.exists() else None
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    yield tmp_path
    assert (real.read_bytes() if real.exists() else None) == before, "the hint command wrote the real checkout"


def hint(capsys, *args: str) -> str:
    """What the hint command printed, with its line wrapping undone."""
    assert cli.main(["hint", *args]) == 0
    return " ".join(capsys.readouterr().out.split())


def test_hint_shows_one_hint_per_call(checkout, capsys):
    given = hints.hints_of(KATAS_DIR / "03_einsum")["matmul"]
    first = hint(capsys, "03_einsum", "matmul")
    assert "hint 1 of" in first and given[0] in first and given[1] not in first, first
    assert "again for hint 2" in first, first
    second = hint(capsys, "03_einsum", "matmul")
    assert "hint 2 of" in second and given[1] in second and given[0] not in second, second
    assert json.loads((checkout / hints.SEEN_FILE).read_text()) == {"03_einsum/matmul": 2}
    for _ in given[2:]:
        hint(capsys, "03_einsum", "matmul")
    assert "no more hints" in hint(capsys, "03_einsum", "matmul")


def test_hint_all_shows_every_hint(checkout, capsys):
    given = hints.hints_of(KATAS_DIR / "03_einsum")["matmul"]
    everything = hint(capsys, "03", "matmul", "--all")
    assert all(text in everything for text in given), everything
    assert "no more hints" in hint(capsys, "einsum", "matmul")
    other = hint(capsys, "03_einsum", "trace")  # each function counts its own
    assert "hint 1 of" in other, other


def test_hint_for_an_unknown_function(checkout, capsys):
    with pytest.raises(SystemExit, match="no function 'matmull'"):
        cli.main(["hint", "03_einsum", "matmull"])


# Answers that used to be rejected ------------------------------------------------------------------

ACCEPTED = {  # name: (kata, function, a definition that overrides the reference's)
    "one_hot names num_classes, not labels": ("02_indexing", "one_hot", '''
        def one_hot(labels, num_classes=-1):
            if labels.is_floating_point() or labels.is_complex() or labels.dtype == torch.bool:
                raise ValueError(f"one_hot: expected an integer dtype, got {labels.dtype}")
            if labels.numel() == 0:
                if num_classes == -1:
                    raise ValueError("one_hot: num_classes=-1 needs at least one label to count the classes")
            elif labels.min() < 0:
                raise ValueError(f"one_hot: {labels.min().item()} is below 0, no valid class")
            elif num_classes == -1:
                num_classes = int(labels.max()) + 1
            elif labels.max() >= num_classes:
                raise ValueError(f"one_hot: {labels.max().item()} is out of range for num_classes={num_classes}")
            encoded = torch.zeros(*labels.shape, num_classes, dtype=torch.int64, device=labels.device)
            return encoded.scatter_(-1, labels.long().unsqueeze(-1), 1)
    '''),
    "split_heads names the heads, not num_heads": ("02_indexing", "split_heads", '''
        def split_heads(x, num_heads):
            if x.shape[-1] % num_heads:
                raise ValueError(f"split_heads: {x.shape[-1]} features do not split into {num_heads} heads")
            batch, time, features = x.shape
            return x.view(batch, time, num_heads, features // num_heads).transpose(1, 2)
    '''),
    "patchify names the image's height or width": ("02_indexing", "patchify", '''
        _reference_patchify = patchify

        def patchify(images, patch_size):
            height, width = images.shape[-2:]
            for size, side in ((height, "height"), (width, "width")):
                if size % patch_size:
                    raise ValueError(f"patchify: image {side} {size} does not split into patches of {patch_size}")
            return _reference_patchify(images, patch_size)
    '''),
    "fans says 2-D": ("04_init", "fans", '''
        def fans(tensor):
            if tensor.ndim < 2:
                raise ValueError(f"fans: tensor must be at least 2-D, got shape {tuple(tensor.shape)}")
            receptive_field = math.prod(tensor.shape[2:])
            return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field
    '''),
    "rosenbrock names the last dim": ("01_optimizers", "rosenbrock", '''
        _reference_rosenbrock = rosenbrock

        def rosenbrock(x, a=1.0, b=100.0):
            if x.ndim == 0 or x.shape[-1] < 2:
                raise ValueError(f"rosenbrock: x needs at least 2 coordinates in its last dim, got "
                                 f"{x.shape[-1] if x.ndim else 'a 0-dim tensor ()'}")
            return _reference_rosenbrock(x, a, b)
    '''),
    "make_permanent_ spells it parametrised": ("05_parametrizations", "make_permanent_", '''
        def make_permanent_(module, name="weight"):
            if not parametrize.is_parametrized(module, name):
                raise ValueError(f"make_permanent_: module.{name} is not parametrised")
            parametrize.remove_parametrizations(module, name, leave_parametrized=True)
            return module
    '''),
    "stable_log_softmax in the textbook order": ("08_pitfalls", "stable_log_softmax", '''
        def stable_log_softmax(x, dim=-1):
            m = x.amax(dim, keepdim=True)
            return x - (m + (x - m).exp().sum(dim, keepdim=True).log())
    '''),
}


@pytest.mark.parametrize("name", ACCEPTED)
def test_a_right_answer_in_other_words_is_done(name, tmp_path, kata_run):
    folder, function, definition = ACCEPTED[name]
    kata = next(k for k in KATAS if k.folder == folder)
    module = tmp_path / folder / f"{kata.module}.py"
    module.parent.mkdir()
    reference = (ROOT / "reference" / folder / f"{kata.module}.py").read_text()
    module.write_text(f"{reference}\n\nimport math\n\nfrom torch.nn.utils import parametrize\n\n"
                      f"{textwrap.dedent(definition)}")
    run = kata_run(kata, str(tmp_path), "-k", function)
    result = run.report.kata(folder).function(function)
    assert result.status is Status.DONE, (
        f"{name}: {function} reads {result.status.value!r}\n"
        f"{result.first_failure.message if result.first_failure else run.tail()}")
