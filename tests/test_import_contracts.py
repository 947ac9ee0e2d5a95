"""The layers hold by a tool, not by goodwill: import-linter checks the contracts in
pyproject.toml, and a domain module that imports the command line breaks them."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for package in ("kchat_cli", "jobs"):
        shutil.copytree(
            ROOT / package, tree / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tree)
    return tree


@pytest.mark.slow
def test_the_tree_keeps_every_contract(tmp_path):
    checked = lint_imports(copy_of_the_tree(tmp_path))
    assert checked.returncode == 0, checked.stdout
    assert "0 broken" in checked.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        (
            "kchat_cli/domain/conversations/labels.py",
            "import typer",
            "The domain never imports the command line",
        ),
        (
            "kchat_cli/store/session.py",
            "from kchat_cli.domain import vocabulary",
            "The store never imports the domain",
        ),
        (
            "kchat_cli/commands/labels.py",
            "from kchat_cli.store import models",
            "Commands reach the store only through",
        ),
        (
            "kchat_cli/domain/access/audit.py",
            "from kchat_cli.domain.conversations import rooms",
            "The domain's subjects import one way",
        ),
        (
            "kchat_cli/domain/conversations/notices.py",
            "from kchat_cli.store.session import run_write",
            "The domain gets its transactions from its caller",
        ),
        ("kchat_cli/runtime.py", "import jobs.runner", "only the commands that start jobs"),
        ("jobs/retention.py", "from kchat_cli import render", "Jobs call the domain"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(tmp_path, module, line, contract):
    tree = copy_of_the_tree(tmp_path)
    source = tree / module
    source.write_text(source.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    checked = lint_imports(tree)
    assert checked.returncode == 1, checked.stdout
    broken = checked.stdout.split("Broken contracts")[1]
    assert contract in broken
    assert "1 broken" in checked.stdout


def contracts() -> dict[str, dict]:
    with (ROOT / "pyproject.toml").open("rb") as pyproject:
        found = tomllib.load(pyproject)["tool"]["importlinter"]["contracts"]
    return {contract["id"]: contract for contract in found}


def architecture() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("## Architecture", 1)[1].split("```")[1]


def test_the_readme_s_domain_layers_are_the_contract_s():
    """The drawing in the README lists the domain's subjects in the layers contract's order."""
    domain = architecture().split("kchat_cli/domain/", 1)[1].split("kchat_cli/store/", 1)[0]
    drawn = re.findall(r"[├└]─ (\w+)", domain)
    layers = contracts()["domain-subjects-import-down"]["layers"]
    assert drawn == [name.strip() for layer in layers for name in layer.split("|")]


def test_the_readme_s_plumbing_is_the_contract_s():
    plumbing = architecture().split("plumbing at the root", 1)[1]
    named = re.findall(r"\b([a-z_]+)(?: \([^)]*\))?[,:]", plumbing.split("used by")[0])
    held = contracts()["plumbing-imports-no-layer"]["source_modules"]
    assert sorted(named) == sorted(module.removeprefix("kchat_cli.") for module in held)
