"""The one place the pipeline calls the screening engine (so its signature lives in one spot)."""

from __future__ import annotations

from clearance.policy import Policy
from clearance.screening.types import FileResult


def screen_part(
    policy: Policy, *, name: str, data: bytes, allowed_types: frozenset[str]
) -> FileResult:
    """Screen one part under ``policy``'s screening rules and the channels' allowed types."""
    from clearance.screening import screen_file

    result: FileResult = screen_file(data, name, policy.screening, allowed_types=allowed_types)
    return result
