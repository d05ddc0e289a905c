"""Hints on request, and checks that never reject a right answer.

1. every kata has a hints.json with three hints for each function of its kata.json, in lesson order,
   each leaving work to do: the idea, the API to read about, a property to check ("Check yourself");
   in either language no hint holds a statement or an einsum equation of the reference, any einsum
   equation at all, or a chain of shapes; neither do kata.json's hints, nor the lessons' worked
   examples an equation of the reference;
2. no kata README holds a hint (`cat README.md` would print it expanded);
3. `python -m katas hint KATA FUNCTION` shows one hint per call, the next one each time, and
   `--all` shows every one, remembered in a seen-file of the checkout it runs in; the same hint asked
   for again in the other language uses up no hint;
4. answers the tests once rejected for the wording of an error or the order of a subtraction now
   read "done": a ValueError message that names another argument of the failing condition, a fans
   message that says "2-D", a log-softmax in the textbook order at magnitude 1e4 in float32, and a
   masked_mean that hides 0 / 0 with torch.where after selecting (its input's gradient is finite).
"""

from __future__ import annotations

import ast
import json
import re
import textwrap
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


# The hint style: what tests/test_hints.py can check of it (the README's "Adding a kata" says the rest).
HINTS_PER_FUNCTION = 3
CHECK_YOURSELF = {"en": "Check yourself", "ru": "Проверьте себя"}  # how the third hint, a property, opens
EQUATION = re.compile(r"[a-z.]+(,[a-z.]+)*->[a-z.]*")  # an einsum equation, with its spaces removed
SHAPE_CHAIN = re.compile(r"\([^()]*\)\s*(->|→)\s*\(")  # "(B, T, H*D) -> (B, H, T, D)": one line of code away


@pytest.mark.parametrize("lang", hints.LANGUAGES)
@pytest.mark.parametrize("kata", by_kata())
def test_every_function_has_three_hints_the_last_a_property(kata, lang):
    path = hints.hints_file(KATAS_DIR / kata.folder, lang)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data.get("schema") == hints.SCHEMA, f"{kata.folder}/{path.name}: schema {data.get('schema')!r}"
    table = data["hints"]
    assert list(table) == list(kata.points), (
        f"{kata.folder}/{path.name} lists {list(table)}; kata.json's functions, in that order, are {list(kata.points)}")
    for function, given in table.items():
        assert isinstance(given, list) and len(given) == HINTS_PER_FUNCTION, (
            f"{kata.folder}/{path.name}: {function} needs {HINTS_PER_FUNCTION} hints: the idea, the API to read "
            "about, a property to check")
        assert all(isinstance(h, str) and h.strip() for h in given), f"{kata.folder}/{path.name}: {function} has an empty hint"
        assert given[-1].startswith(CHECK_YOURSELF[lang]), (
            f"{kata.folder}/{path.name}: {function}'s last hint should give a property to check a result against, "
            f"opening with {CHECK_YOURSELF[lang]!r}; it opens {given[-1][:40]!r}")


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


def answers_in(text: str, kata: Kata) -> list[str]:
    """What a hint must not hold: a statement or equation of the reference, an einsum equation, a shape chain."""
    found = [piece for piece in reference_code(kata) if piece in flat(text)]
    found += [match.group(0) for match in EQUATION.finditer(flat(text))]
    found += [match.group(0) for match in SHAPE_CHAIN.finditer(text)]
    return found


@pytest.mark.parametrize("lang", hints.LANGUAGES)
@pytest.mark.parametrize("kata", by_kata())
def test_no_hint_holds_an_answer(kata, lang):
    leaked = [(function, number, piece) for function, given in hints.hints_of(KATAS_DIR / kata.folder, lang).items()
              for number, hint in enumerate(given, 1) for piece in answers_in(hint, kata)]
    assert not leaked, f"{kata.folder}, {lang}: hints that hold code, an equation or a shape chain: {leaked}"


@pytest.mark.parametrize("kata", by_kata())
def test_no_call_rule_hint_holds_an_answer(kata):
    """kata.json's hints are said when a forbidden or required call is met: the cause, not the line."""
    leaked = [(rule.hint, piece) for rule in kata.forbidden + kata.required for piece in answers_in(rule.hint, kata)]
    leaked += [(rule.hint, "a call with arguments") for rule in kata.forbidden + kata.required
               if re.search(r"\w\(\[?\w+.*\)", rule.hint)]
    assert not leaked, f"{kata.folder}/kata.json: hints that hold code: {leaked}"


@pytest.mark.parametrize("kata", by_kata())
def test_no_lesson_works_an_example_that_is_an_answer(kata):
    answers = {flat(piece) for piece in reference_code(kata) if "->" in piece}
    for name in hints.LESSONS.values():
        text = (KATAS_DIR / kata.folder / name).read_text(encoding="utf-8")
        shown = {flat(quoted) for quoted in re.findall(r'"([^"\n]*->[^"\n]*)"', text)}
        assert not shown & answers, f"{kata.folder}/{name} works an example that is a kata answer: {shown & answers}"


@pytest.mark.parametrize("kata", by_kata())
def test_no_readme_holds_a_hint(kata):
    for name in hints.LESSONS.values():
        text = (KATAS_DIR / kata.folder / name).read_text(encoding="utf-8")
        assert "<details" not in text, f"{kata.folder}/{name} holds <details> hints: move them to the hints files"
        assert f"python -m katas hint {kata.folder}" in text, f"{kata.folder}/{name} does not say how to ask for a hint"


# python -m katas hint ----------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """The CLI's seen-file goes to tmp_path, never into the real checkout; no language from outside."""
    real = ROOT / hints.SEEN_FILE
    before = real.read_bytes() if real.exists() else None
    monkeypatch.setattr(cli, "ROOT", tmp_path)
    for variable in hints.LANGUAGE_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
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
    assert json.loads((checkout / hints.SEEN_FILE).read_text()) == {"03_einsum/matmul": {"seen": 2, "languages": ["en"]}}
    for _ in given[2:]:
        hint(capsys, "03_einsum", "matmul")
    assert "no more hints" in hint(capsys, "03_einsum", "matmul")


GOLDEN_HINT = {  # what `hint 03_einsum matmul` prints, first and then again in the other language
    "en": ["einsum_ops.matmul, hint 1 of 3:", "{hint}", "", "(run the same command again for hint 2; --all shows them all)"],
    "ru": ["einsum_ops.matmul, подсказка 1 из 3:", "{hint}", "",
           "(снова подсказка 1, теперь по-русски: та же подсказка на другом языке не считается новой)",
           "(запустите ту же команду ещё раз, чтобы увидеть подсказку 2; --all покажет все)"],
}


def test_a_hint_read_again_in_the_other_language_uses_up_no_hint(checkout, capsys):
    def printed(*args):
        assert cli.main(["hint", "03_einsum", "matmul", *args]) == 0
        return capsys.readouterr().out.splitlines()

    def golden(lang):
        text = hints.hints_of(KATAS_DIR / "03_einsum", lang)["matmul"][0]
        wrapped = textwrap.fill(text, width=96, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False)
        return [line.replace("{hint}", wrapped) for line in GOLDEN_HINT[lang]]

    english = printed()
    assert english == "\n".join(golden("en")).splitlines(), english
    russian = printed("--lang", "ru")
    assert russian == "\n".join(golden("ru")).splitlines(), russian
    assert json.loads((checkout / hints.SEEN_FILE).read_text())["03_einsum/matmul"] == {"seen": 1, "languages": ["en", "ru"]}
    second = " ".join(printed("--lang", "ru"))
    assert "подсказка 2 из 3" in second, "read in both languages, hint 1 is done with: the next request shows hint 2"
    assert " ".join(printed("--lang", "en")).count("hint 2 of 3") == 1, "hint 2, again in English, uses up no hint"
    assert "hint 3 of 3" in " ".join(printed("--lang", "en"))


def test_the_first_format_of_the_seen_file_still_counts(checkout, capsys):
    (checkout / hints.SEEN_FILE).write_text(json.dumps({"03_einsum/matmul": 2}))
    assert "hint 3 of 3" in hint(capsys, "03_einsum", "matmul")


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
    "masked_mean hides 0 / 0 with torch.where after selecting": ("08_pitfalls", "masked_mean", '''
        _reference_masked_mean = masked_mean

        def masked_mean(x, mask, dim):
            _reference_masked_mean(x, mask, dim)  # its checks
            total = torch.where(mask, x, 0).sum(dim)
            count = mask.sum(dim)
            return torch.where(count > 0, total / count, 0)  # total's gradient is nan in an empty row; x's is not
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
