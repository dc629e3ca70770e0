"""Policy fixtures: the default policy and a factory that writes edited copies of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from clearance.policy import Policy, load_policy

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "policies" / "default.yaml"
SCREENING = REPO / "policies" / "screening.yaml"

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_policy(DEFAULT)


def default_document() -> dict[str, Any]:
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def write_policy(folder: Path, data: dict[str, Any], name: str = "policy.yaml") -> Path:
    """Write ``data`` as a policy beside a copy of the default screening file."""
    shutil.copy(SCREENING, folder / "screening.yaml")
    path = folder / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def edited(tmp_path: Path) -> Callable[[Edit], Path]:
    """Write the default policy after ``edit`` changed it; returns the file."""

    def make(edit: Edit) -> Path:
        data = default_document()
        edit(data)
        return write_policy(tmp_path, data)

    return make
