"""A revision's sign-off state under a loaded policy: the level's chain walked by the engine
(``clearance.approval``), with the author, uploaders and editors of the revision excluded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from clearance.approval import Decision, SignoffState, UserId, walk_chain
from clearance.errors import PolicyRefusal
from clearance.policy.values import Policy


def signoff_status(
    policy: Policy,
    *,
    level: str,
    manifest_hash: str,
    decisions: Iterable[Decision],
    author_id: UserId,
    uploader_ids: Iterable[UserId] = (),
    editor_ids: Iterable[UserId] = (),
    drafting_unit: str | None = None,
    held_for_review: bool = False,
    submitted_at: datetime | None = None,
) -> SignoffState:
    """Evaluate the sign-off chain of ``level`` for the revision whose manifest is
    ``manifest_hash`` (see ``clearance.approval.walk_chain``). Raises ``PolicyRefusal`` for a
    level that can never be published."""
    chain = policy.chain_for(level)
    if chain is None:
        raise PolicyRefusal(
            f"level {level} can never be published, so it has no sign-off chain; "
            "the item must not be released"
        )
    return walk_chain(
        chain,
        level=level,
        policy_hash=policy.content_hash,
        manifest_hash=manifest_hash,
        decisions=decisions,
        excluded=(author_id, *uploader_ids, *editor_ids),
        drafting_unit=drafting_unit,
        held_for_review=held_for_review,
        submitted_at=submitted_at,
    )
