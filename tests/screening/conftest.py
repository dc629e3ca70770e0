from __future__ import annotations

from pathlib import Path

import pytest

from clearance.screening import ScreeningRules, load_screening_rules

POLICY = Path(__file__).resolve().parents[2] / "clearance" / "policies_default" / "screening.yaml"


@pytest.fixture(scope="session")
def rules() -> ScreeningRules:
    return load_screening_rules(POLICY)
