"""Imports fail loudly, and the layers hold: the core imports no adapter, no package cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from clearance import tables

ROOT = Path(__file__).resolve().parents[2]


def _import_with_one_missing(missing: str, module: str) -> subprocess.CompletedProcess[str]:
    """Import ``module`` in a fresh interpreter in which ``missing`` cannot be imported."""
    code = f"import sys\nsys.modules[{missing!r}] = None\nimport {module}\n"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("missing", "module"),
    [
        # imported by nothing else on the way, so the old skip-if-missing loop passed over it
        ("clearance.publishing.models", "clearance.tables"),
        ("cli.witness", "cli"),
        ("cli.report", "cli"),
    ],
)
def test_a_module_that_cannot_be_imported_stops_the_import(missing: str, module: str) -> None:
    done = _import_with_one_missing(missing, module)
    assert done.returncode == 1
    assert "ModuleNotFoundError" in done.stderr and missing in done.stderr


def _imports_base(path: Path) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "clearance.storage.db"
        and any(alias.name == "Base" for alias in node.names)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_every_model_module_is_in_the_metadata() -> None:
    """Each module that defines tables on ``Base`` is one of the modules Alembic loads (the
    Alembic environment itself reads ``Base`` and defines none)."""
    defining = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / "clearance").rglob("*.py")
        if path.name != "db.py" and "migrations" not in path.parts and _imports_base(path)
    }
    assert "clearance.policy.models" in defining  # the scan is real
    listed = {module.__name__ for module in tables.MODEL_MODULES}
    assert defining == listed
