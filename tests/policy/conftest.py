"""Policy fixtures: the default policy and a factory that writes edited copies of it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from clearance.policy import Policy, load_policy
from tests.policy.policy_support import DEFAULT, Edit, default_document, write_policy


@pytest.fixture(scope="session")
def default_policy() -> Policy:
    return load_policy(DEFAULT)


@pytest.fixture
def edited(tmp_path: Path) -> Callable[[Edit], Path]:
    """Write the default policy after ``edit`` changed it; returns the file."""

    def make(edit: Edit) -> Path:
        data = default_document()
        edit(data)
        return write_policy(tmp_path, data)

    return make
