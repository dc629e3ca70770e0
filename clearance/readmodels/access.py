"""Object-level access, in one place: the head of an item that the rule reads (one query) and
the capacity in which a reader may see it (``clearance.services.access`` holds the rule; the
adapters only translate a refusal, the web to 404 so an item's existence is not revealed)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, bindparam, select
from sqlalchemy.orm import aliased

from clearance.policy import Policy
from clearance.services.access import Reader, approver_reads
from clearance.storage.models import Decision, Item, Revision, User

#: the capacities in which an item can be read
CAPACITIES = ("author", "approver", "auditor")


@dataclass(frozen=True, slots=True)
class ItemHead:
    """What access checks read: the item, its current revision, and whether I decided on it."""

    item_id: str
    author_id: int
    state: str
    current_revision: int
    revision_id: int | None  # None only if the current revision row is missing
    level: str | None
    declared_level: str | None
    decided_by_me: bool
    drafting_unit: str | None


_MINE = aliased(Revision)
_HEAD = (
    select(
        Item.id,
        Item.author_id,
        Item.state,
        Item.current_revision,
        Revision.id,
        Revision.level,
        Revision.declared_level,
        select(Decision.id)
        .join(_MINE, _MINE.id == Decision.revision_id)
        .where(_MINE.item_id == Item.id, Decision.approver_id == bindparam("me"))
        .exists(),
        User.unit,
    )
    .join(User, User.id == Item.author_id)
    .outerjoin(
        Revision, and_(Revision.item_id == Item.id, Revision.number == Item.current_revision)
    )
    .where(Item.id == bindparam("item_id"))
)


def item_head(connection: Connection, item_id: str, reader_id: int) -> ItemHead | None:
    """The head of ``item_id`` as ``reader_id`` sees it, or None when there is no such item."""
    row = connection.execute(_HEAD, {"item_id": item_id, "me": reader_id}).first()
    return ItemHead(*row) if row is not None else None


def routed_to(policy: Policy, reader: Reader, head: ItemHead) -> bool:
    """The item is in front of ``reader`` as an approver."""
    if head.revision_id is None:
        return False
    return approver_reads(
        policy,
        reader,
        state=head.state,
        level=head.level or head.declared_level,
        drafting_unit=head.drafting_unit,
        decided=head.decided_by_me,
    )


def capacity(
    policy: Policy, reader: Reader, head: ItemHead | None, allow: tuple[str, ...] = CAPACITIES
) -> str | None:
    """The first of ``allow`` in which ``reader`` may see the item, or None (no access):
    an author their own items, an approver those routed to their scope, an auditor any."""
    if head is None:
        return None
    if "author" in allow and "author" in reader.roles and head.author_id == reader.id:
        return "author"
    if "approver" in allow and routed_to(policy, reader, head):
        return "approver"
    if "auditor" in allow and "auditor" in reader.roles:
        return "auditor"
    return None
