"""The sanitisers: one per format, each building the derivative that is approved and published.

What every derivative leaves out, whatever its format, when the upload carried it (the
sanitisers' own docstrings say how): :data:`REMOVED_KINDS`. Kinds a derivative may keep (hidden
content an approver must look at, embedded documents rebuilt in place, external references
listed for the approver) are not in it, so the approver is never told something was removed
that is still there."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from clearance.screening.rules import MetadataKind, ScreeningRules

#: in the order the approver's page names them
REMOVED_KINDS: tuple[MetadataKind, ...] = (
    MetadataKind.GPS,
    MetadataKind.AUTHOR,
    MetadataKind.COMMENTS,
    MetadataKind.TRACKED_CHANGES,
    MetadataKind.DESCRIPTION,
    MetadataKind.ACTIVE_CONTENT,
    MetadataKind.REVISIONS,
)


def removed_metadata(
    rules: ScreeningRules, findings: Iterable[Mapping[str, Any]]
) -> tuple[MetadataKind, ...]:
    """The kinds of metadata an upload carried (its screening findings, as stored) that its
    derivative leaves out."""
    found = {str(f.get("rule")) for f in findings}
    kinds = {rule.kind for rule in rules.metadata if rule.id in found}
    return tuple(kind for kind in REMOVED_KINDS if kind in kinds)
