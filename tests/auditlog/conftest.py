"""Shared fixtures of the audit-log tests: where the external vectors live, and the logs that
several test files verify (built once a session; tests export them into their own folders)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.auditlog.auditlog_scenario import Scenario, build, cite_forged

# CI clones main with shared/ beside it: <root>/main/tests/auditlog -> <root>/shared/vectors.
VECTORS = Path(__file__).resolve().parents[2].parent / "shared" / "vectors"


@pytest.fixture(scope="session")
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.skip(f"test vectors not found at {VECTORS}; clone shared/ beside main/")
    return VECTORS


@pytest.fixture(scope="session")
def honest_story(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """``build``'s honest log of itm_1 (``HONEST_SIZE`` entries)."""
    scenario, _ = build(tmp_path_factory.mktemp("honest-story"))
    return scenario


@pytest.fixture(scope="session")
def forged_story(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """The honest log, then a sign-off citing a forged checkpoint (``cite_forged``)."""
    scenario, _ = build(tmp_path_factory.mktemp("forged-story"), cite_forged)
    return scenario
