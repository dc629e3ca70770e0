"""Helpers for the policy tests: the default policy files and edited copies of them."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEFAULT = REPO / "clearance" / "policies_default" / "default.yaml"
SCREENING = REPO / "clearance" / "policies_default" / "screening.yaml"

Edit = Callable[[dict[str, Any]], None]


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
