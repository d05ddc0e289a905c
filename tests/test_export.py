"""The student edition: what `python -m classroom export` hands out, and its own verification."""

from __future__ import annotations

import shutil

import pytest
from tests.scenarios import REPO, checkout, reference_modules


def test_export_holds_the_katas_and_nothing_instructor_only(edition):
    from classroom import export

    folder, katas = edition
    for kata in katas:
        for name in ("README.md", "kata.json", f"{kata.module}.py"):
            assert (folder / "katas" / kata.folder / name).is_file(), f"{kata.folder}/{name} missing"
    for name in ("conftest.py", "pyproject.toml", "README.md", ".github/workflows/classroom.yml",
                 "classroom/core.py", "katas/harness/plugin.py", "katas/__init__.py", "katas/notebook.py"):
        assert (folder / name).is_file(), name
    for name in ("reference", "tests", "tox.ini", "classroom/export.py", "classroom/bundle.py"):
        assert not (folder / name).exists(), f"{name} must not be handed out"
    assert export.leaks(folder) == []
    assert 'testpaths = ["katas"]' in (folder / "pyproject.toml").read_text()


def test_leak_check_finds_reference_bodies(edition, tmp_path):
    from classroom import export

    folder, katas = edition
    copy = checkout(folder, tmp_path / "leaky", reference_modules(katas[:1]))
    found = export.leaks(copy)
    assert any(f"{katas[0].module}.py" in line and "body of reference" in line for line in found), found


@pytest.mark.timeout(300)  # two whole runs of every kata's tests, in subprocesses
def test_export_verifies_itself(edition):
    from classroom import export

    folder, katas = edition
    assert export.verify(folder, katas=katas) == []


def test_export_refuses_a_folder_in_use(tmp_path):
    from classroom import export

    (tmp_path / "something").write_text("x")
    with pytest.raises(FileExistsError):
        export.build(tmp_path)


def test_hidden_tests_go_to_the_grading_tree_only(tmp_path):
    """reference/NN_topic/hidden/test_*.py: graded by `grade` and the bundle, never handed out."""
    from classroom import bundle, export

    repo = tmp_path / "repo"
    for name in ("katas", "reference", "conftest.py", "pyproject.toml", "requirements.txt"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, repo / name)
    kata = export.katas_of(repo)[0]
    hidden = repo / "reference" / kata.folder / "hidden"
    hidden.mkdir()
    (hidden / "test_extra.py").write_text(
        "import pytest\nfrom katas.harness import implementation\n\nkata = implementation(__file__)\n\n\n"
        f"@pytest.mark.checks({kata.functions[0]!r})\ndef test_extra():\n    assert kata.{kata.functions[0]}\n")
    edition = tmp_path / "edition"
    export.build(edition, repo)
    assert not [p for p in edition.rglob("*") if "hidden" in p.name or "extra" in p.name]
    tree = tmp_path / "tree"
    manifest = bundle.grading_tree(tree, repo)
    assert (tree / "katas" / kata.folder / "test_hidden_extra.py").is_file()
    assert f"katas/{kata.folder}/test_hidden_extra.py" not in manifest, "not part of what students got"
    shutil.copy2(hidden / "test_extra.py", edition / "katas" / kata.folder / "test_hidden_extra.py")
    assert any("instructor-only" in line for line in export.leaks(edition, repo))


def test_the_grading_runtime_holds_every_module_it_imports():
    """classroom/ modules the edition and the bundle carry (edition.RUNTIME) import only each other at
    load (the instructor-only commands import theirs inside, when asked)."""
    import ast

    from classroom import edition

    folder = REPO / "classroom"
    for name in edition.RUNTIME:
        tree = ast.parse((folder / name).read_text())
        relative = [node for node in tree.body if isinstance(node, ast.ImportFrom) and node.level == 1]
        imported = {node.module.split(".")[0] if node.module else alias.name
                    for node in relative for alias in node.names}
        missing = sorted(f"{module}.py" for module in imported if f"{module}.py" not in edition.RUNTIME)
        assert not missing, f"classroom/{name} imports {missing}, which the grading runtime does not carry"
