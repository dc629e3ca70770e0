"""Create notifications inside a service's transaction; e-mail them after it commits."""

from __future__ import annotations

import smtplib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session

from clearance.errors import NotFound
from clearance.notifications.mailer import send_mail
from clearance.notifications.models import SECURITY_OFFICER, Notification, NotificationKind
from clearance.runtime import Runtime
from clearance.storage.models import Item, Revision, User

_SUBJECTS: dict[NotificationKind, tuple[str, str]] = {
    NotificationKind.SIGNOFF_REQUESTED: ("chờ duyệt", "awaiting your sign-off"),
    NotificationKind.REMINDER: ("nhắc hạn xử lý", "sign-off reminder"),
    NotificationKind.ESCALATION: ("quá hạn xử lý", "sign-off overdue"),
    NotificationKind.BLOCKED: ("bị chặn", "blocked by screening"),
    NotificationKind.CHANGES_REQUESTED: ("yêu cầu chỉnh sửa", "changes requested"),
    NotificationKind.REJECTED: ("bị từ chối", "rejected"),
    NotificationKind.APPROVED: ("đã duyệt", "approved"),
    NotificationKind.PUBLISHED: ("đã đăng", "published"),
    NotificationKind.DRIFTED: (
        "nội dung trên kênh khác bản đã duyệt",
        "what is live on the channel differs from what was approved",
    ),
    NotificationKind.SECRET_BLOCKED: (
        "bị chặn vì có dấu hiệu bí mật nhà nước",
        "blocked: screening found a state-secret marking",
    ),
    NotificationKind.PUBLICATION_FAILED: (
        "đăng lên kênh không thành công",
        "publication on a channel failed",
    ),
}


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    item_id: str
    #: the title of the item's current revision (shown in-app only, never e-mailed)
    title: str
    kind: NotificationKind
    stage: str | None
    link: str
    created_at: datetime
    read: bool


def item_link(base_url: str, item_id: str) -> str:
    return f"{base_url.rstrip('/')}/items/{item_id}"


def notify(
    session: Session,
    *,
    base_url: str,
    user_ids: Iterable[int],
    item_id: str,
    kind: NotificationKind,
    stage: str | None = None,
) -> list[Notification]:
    """Add one notification per distinct user to ``session`` (the caller commits)."""
    created = [
        Notification(
            user_id=user_id,
            item_id=item_id,
            kind=kind.value,
            stage=stage,
            link=item_link(base_url, item_id),
            created_at=datetime.now(UTC),
        )
        for user_id in sorted(set(user_ids))
    ]
    session.add_all(created)
    session.flush()
    return created


def _message(note: Notification) -> tuple[str, str]:
    vi, en = _SUBJECTS[NotificationKind(note.kind)]
    stage = f" ({note.stage})" if note.stage else ""
    subject = f"[Clearance] Tin bài {note.item_id}: {vi}{stage} / item {note.item_id}: {en}"
    text = (
        f"Tin bài {note.item_id}: {vi}{stage}.\n"
        f"Xem chi tiết sau khi đăng nhập: {note.link}\n\n"
        f"Item {note.item_id}: {en}{stage}.\n"
        f"Sign in to see it: {note.link}\n"
    )
    return subject, text


def deliver_pending(rt: Runtime, ids: Sequence[int] | None = None) -> int:
    """E-mail notifications not yet sent (only ``ids`` when given); return how many were sent.

    A delivery failure is recorded on the notification (``email_error``) and retried on the
    next call; the in-app notification stands either way.
    """
    smtp = rt.settings.smtp
    if not smtp.enabled:
        return 0
    with rt.sessions() as session:
        query = (
            select(Notification, User.email)
            .join(User, User.id == Notification.user_id)
            .where(Notification.emailed_at.is_(None), User.email.is_not(None))
            .order_by(Notification.id)
        )
        if ids is not None:
            if not ids:
                return 0
            query = query.where(Notification.id.in_(list(ids)))
        rows = list(session.execute(query).tuples())
        sent = 0
        for note, address in rows:
            assert address is not None
            subject, text = _message(note)
            try:
                send_mail(smtp, to=address, subject=subject, text=text)
            except (OSError, smtplib.SMTPException) as exc:
                note.email_error = f"{type(exc).__name__}: {exc}"[:500]
                continue
            note.emailed_at = datetime.now(UTC)
            note.email_error = None
            sent += 1
        session.commit()
    return sent


def list_for_user(
    rt: Runtime, username: str, *, unread_only: bool = False
) -> list[NotificationView]:
    with rt.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"there is no user {username!r}")
        query = (
            select(Notification, Revision.title)
            .outerjoin(Item, Item.id == Notification.item_id)
            .outerjoin(
                Revision,
                (Revision.item_id == Item.id) & (Revision.number == Item.current_revision),
            )
            .where(Notification.user_id == user.id)
        )
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = session.execute(query.order_by(Notification.id.desc())).tuples()
        return [
            NotificationView(
                id=n.id,
                item_id=n.item_id,
                title=title or n.item_id,
                kind=NotificationKind(n.kind),
                stage=n.stage,
                link=n.link,
                created_at=n.created_at,
                read=n.read_at is not None,
            )
            for n, title in rows
        ]


def unread_count(connection: Session | Connection, user_id: int) -> int:
    """How many of ``user_id``'s notifications are unread (the navigation shows it on every
    page: one indexed count, a statement built once)."""
    return int(connection.scalar(_UNREAD, {"user_id": user_id}) or 0)


_UNREAD = select(func.count(Notification.id)).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
)


def mark_all_read(rt: Runtime, username: str) -> int:
    """Mark every unread notification of ``username`` read; return how many."""
    with rt.sessions() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"there is no user {username!r}")
        notes = list(
            session.scalars(
                select(Notification).where(
                    Notification.user_id == user.id, Notification.read_at.is_(None)
                )
            )
        )
        now = datetime.now(UTC)
        for note in notes:
            note.read_at = now
        session.commit()
        return len(notes)


def security_officers(session: Session) -> list[int]:
    """Active approvers holding the security officer's sign-off role."""
    return [
        u.id
        for u in session.scalars(select(User).where(User.active.is_(True)))
        if SECURITY_OFFICER in u.signoff_role_set and "approver" in u.role_set
    ]


def mark_read(rt: Runtime, username: str, notification_id: int) -> None:
    with rt.sessions() as session:
        note = session.scalar(
            select(Notification)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id == notification_id, User.username == username)
        )
        if note is None:
            raise NotFound(f"user {username!r} has no notification {notification_id}")
        if note.read_at is None:
            note.read_at = datetime.now(UTC)
        session.commit()
