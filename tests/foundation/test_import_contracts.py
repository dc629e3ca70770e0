"""The import contracts (``[tool.importlinter]`` in ``pyproject.toml``) hold on the real tree and
fail when they are broken: ``lint-imports`` runs on a copy of the packages with one module added
that points inward (the core importing an adapter) or back up the core's layers (a cycle)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("clearance", "cli", "flows", "webapp")
ADAPTERS = "the core imports no adapter (cli, flows, webapp) and neither Flask nor Prefect"
LAYERS = "the core's layers: leaf modules at the bottom, the composition root and use"


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` on the packages under ``tree`` with the project's configuration."""
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "400"}
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache",
         str(tree / "pyproject.toml")],
        cwd=tree, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the four packages' Python sources and the configuration."""
    tree = tmp_path_factory.mktemp("tree")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=lambda folder, names: [
                n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.fixture
def tree(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tree"
    shutil.copytree(pristine, copy)
    return copy


def _verdicts(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from lint-imports' summary (the verdict follows the
    name; the report may wrap long names)."""
    flat = " ".join(output.split())
    found: dict[str, str] = {}
    for name in (ADAPTERS, LAYERS):
        at = flat.find(name)
        assert at >= 0, f"lint-imports did not report the contract {name!r}:\n{output}"
        words = flat[at + len(name) :].split()
        found[name] = next(w for w in words if w in ("KEPT", "BROKEN"))
    return found


def test_the_real_tree_keeps_every_contract(tree: Path) -> None:
    done = _lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert _verdicts(done.stdout) == {ADAPTERS: "KEPT", LAYERS: "KEPT"}


def test_the_core_importing_an_adapter_fails(tree: Path) -> None:
    (tree / "clearance" / "storage" / "intruder.py").write_text("import flows\n", encoding="utf-8")
    done = _lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert _verdicts(done.stdout)[ADAPTERS] == "BROKEN"
    assert "clearance.storage.intruder -> flows" in done.stdout


@pytest.mark.parametrize(
    ("module", "imports"),
    [
        # the cycle this contract broke: the storage leaf loading every model module
        ("clearance/storage/everything.py", "clearance.admin.models"),
        # the other one: a use case reaching into the admin package
        ("clearance/services/finder.py", "clearance.admin.service"),
        # siblings of one layer stay independent
        ("clearance/policy/signed.py", "clearance.signing.models"),
    ],
)
def test_an_import_up_the_layers_fails(tree: Path, module: str, imports: str) -> None:
    (tree / module).write_text(f"import {imports}\n", encoding="utf-8")
    done = _lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    assert _verdicts(done.stdout) == {ADAPTERS: "KEPT", LAYERS: "BROKEN"}
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in done.stdout


def test_a_new_core_package_must_be_given_a_layer(tree: Path) -> None:
    (tree / "clearance" / "newthing").mkdir()
    (tree / "clearance" / "newthing" / "__init__.py").write_text("", encoding="utf-8")
    done = _lint_imports(tree)
    assert done.returncode == 1
    assert "clearance.newthing" in done.stdout
