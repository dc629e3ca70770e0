"""Shared helpers for the audit-log tests: where the external vectors live."""

from __future__ import annotations

from pathlib import Path

import pytest

# CI clones main with shared/ beside it: <root>/main/tests/auditlog -> <root>/shared/vectors.
VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.skip(f"test vectors not found at {VECTORS}; clone shared/ beside main/")
    return VECTORS
