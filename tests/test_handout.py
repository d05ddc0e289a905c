"""What the instructor hands out, checked without grading anything: the autograding workflow
(hardened, and clean under zizmor), the torch release it installs (named in one place), the student
READMEs in both languages, and the instructor README's promises about them.

The workflow's steps running for real, and the bundle's autograder, are checked in test_classroom.py.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from classroom import edition, export, workflow
from katas.harness.kata import all_katas

REPO = Path(__file__).resolve().parent.parent
KATAS = all_katas()
# zizmor findings the gate accepts, each with the reason it is no risk here: none so far. Add one
# as {"audit-id": "why"} only with a reason a reviewer would accept.
EXPLAINED_FINDINGS: dict[str, str] = {}


@pytest.fixture(scope="module")
def edition_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("edition") / "edition"
    export.build(out)
    return out


def steps() -> list[dict]:
    return yaml.safe_load(workflow.render(KATAS))["jobs"]["run-autograding-tests"]["steps"]


# --------------------------------------------------------------------------------------------------
# the workflow


def test_every_action_is_pinned_to_a_commit_with_its_tag_beside_it():
    text = workflow.render(KATAS)
    used = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", text, flags=re.M)
    assert len(used) == len(KATAS) + 3, "checkout, setup-python, a grader per kata and the reporter"
    known = {f"{repository}@{commit}": tag for repository, commit, tag in workflow.ACTIONS.values()}
    for reference, comment in used:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", reference), f"{reference}: not pinned to a full commit SHA"
        assert comment.strip() == f"# {known[reference]}", f"{reference}: its release tag belongs in a comment beside it"


def test_workflow_reads_only_keeps_no_credentials_runs_once_per_branch_and_caches_pip():
    data = yaml.safe_load(workflow.render(KATAS))
    assert data["permissions"] == {"contents": "read"}, "the graders and the reporter call no GitHub API"
    assert "github.ref" in data["concurrency"]["group"] and data["concurrency"]["cancel-in-progress"] is True
    checkout, python, install = steps()[:3]
    assert checkout["uses"].startswith("actions/checkout@")
    assert checkout["with"]["persist-credentials"] is False, "the checkout must not leave the token in .git/config"
    assert python["uses"].startswith("actions/setup-python@") and python["with"]["cache"] == "pip"
    assert set(python["with"]["cache-dependency-path"].split()) == {"requirements.txt", workflow.PATH}, (
        "the cache key follows requirements.txt and this file (where torch is pinned)")
    assert f"torch=={edition.TORCH_VERSION}" in install["run"].split()


def zizmor() -> str:
    beside = Path(sys.executable).with_name("zizmor")  # this environment's, also when it is not activated
    found = str(beside) if beside.is_file() else shutil.which("zizmor")
    if found is None:
        pytest.skip("zizmor is not installed (requirements-instructor.txt; .ci/run installs it): "
                    "the workflow was not audited")
    return found


def test_zizmor_finds_nothing_unexplained_in_the_exported_workflow(edition_dir):
    run = subprocess.run([zizmor(), "--offline", "--persona=pedantic", "--format=json", str(edition_dir / workflow.PATH)],
                         capture_output=True, text=True, timeout=120)
    assert run.stdout.strip(), f"zizmor said nothing (exit {run.returncode}):\n{run.stderr[-2000:]}"
    findings = json.loads(run.stdout)
    unexplained = [f"{f['ident']} ({f['determinations']['severity']}): {f['desc']}"
                   for f in findings if f["ident"] not in EXPLAINED_FINDINGS]
    assert not unexplained, "zizmor finds in the student workflow:\n" + "\n".join(unexplained)


# --------------------------------------------------------------------------------------------------
# torch: one release, named once


def test_torch_release_is_named_once_and_installed_everywhere_from_there():
    pin = f"torch=={edition.TORCH_VERSION}"
    assert pin in sum(edition.install_commands(), []), "the autograder's and the workflow's install"
    assert pin in workflow.render(KATAS)
    ci = (REPO / ".ci" / "run").read_text()
    assert "from classroom.edition import TORCH_VERSION" in ci and not re.search(r"torch==\d", ci), (
        ".ci/run must install the release classroom/edition.py names, not one of its own")
    tox = re.search(r"\{env:TORCH_SPEC:([^}]*)\}", (REPO / "tox.ini").read_text())
    assert tox and tox[1] == pin, f"tox.ini installs {tox and tox[1]}, the gate validates {pin}"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    setup = edition.install_commands(requirements="requirements-instructor.txt")
    assert all(shlex.join(command) in readme for command in setup), (
        "README.md's instructor setup must install the pinned CPU torch, then requirements-instructor.txt:\n"
        + "\n".join(map(shlex.join, setup)))


# --------------------------------------------------------------------------------------------------
# the student READMEs


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)


def test_student_readmes_say_the_same_in_both_languages(edition_dir):
    english = (edition_dir / "README.md").read_text(encoding="utf-8")
    russian = (edition_dir / "README.ru.md").read_text(encoding="utf-8")
    assert russian == export.student_readme(KATAS, "ru"), "the edition's README.ru.md is written for students"
    assert code_blocks(english) == code_blocks(russian), "the same setup and commands"
    assert [line.count("#") for line in english.splitlines() if line.startswith("#")] == \
           [line.count("#") for line in russian.splitlines() if line.startswith("#")], "the same sections"
    start = f"`{edition.FIRST_KATA}`"
    assert start in english.split("\n\n")[2] and start in russian.split("\n\n")[2], "the same first kata"
    assert "## Как вас оценивают" in russian and "python -m classroom check" in russian
    for kata in KATAS:
        assert f"(katas/{kata.folder}/README.ru.md)" in russian and f"(katas/{kata.folder}/README.md)" in english


def test_student_readme_golden_setup():
    setup = code_blocks(export.student_readme(KATAS))[0]
    assert setup == (f"python -m venv .venv && . .venv/bin/activate\n"
                     f"python -m pip install torch=={edition.TORCH_VERSION} -r requirements.txt "
                     f"--extra-index-url {edition.TORCH_CPU_INDEX}\n")


# --------------------------------------------------------------------------------------------------
# the instructor README


def section(title: str) -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_readme_names_every_environment_variable_the_autograder_reads():
    template = (REPO / "classroom" / "autograder_template.py").read_text()
    read = set(re.findall(r"os\.environ\.get\(\"(\w+)\"\)", template))
    assert {"OWNER", "CLASSROOM", "ASSIGNMENT", "SUBMISSION_TAG", "COMMIT_URL"} <= read
    told = section("Handing out and grading")
    assert not [name for name in read if f"`{name}`" not in told], f"README.md does not explain {sorted(read)}"


def test_readme_adding_a_kata_lists_every_file_a_kata_has():
    told = section("Adding a kata") + section("How a kata is built")
    model = REPO / "katas" / edition.FIRST_KATA
    files = sorted(p.name for p in model.iterdir() if p.is_file())
    files += sorted(p.name for p in (REPO / "reference" / edition.FIRST_KATA).iterdir() if p.is_file())
    generic = {name.replace("einsum_ops", "<module>") for name in files}
    missing = [name for name in generic if name not in told]
    assert not missing, f"README.md's 'Adding a kata' does not mention {missing}"
