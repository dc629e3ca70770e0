"""Item use cases: submit, withdraw, new revision, and the transitions other stages drive."""

from __future__ import annotations

import dataclasses
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.domain.lifecycle import Action, State, next_state
from clearance.domain.manifest import (
    Manifest,
    ManifestKind,
    PartEntry,
    PartRole,
    VersionFileWithoutVersion,
)
from clearance.domain.roles import Role
from clearance.errors import BadInput, Conflict, NotFound, PolicyRefusal
from clearance.events import Event
from clearance.runtime import Runtime
from clearance.services.channels import require_configured
from clearance.services.uploads import (
    Upload,
    safe_filename,
    store_body,
    store_upload,
    store_version,
)
from clearance.services.users import get_user, require_role
from clearance.storage import search
from clearance.storage.models import Item, Part, Revision, StateChange, User
from clearance.storage.uow import UnitOfWork

MAX_TITLE = 500
MAX_ATTACHMENTS = 50
MAX_VERSIONS = 10


@dataclass(frozen=True)
class LanguageVersion:
    """The item's text in another language (an English title and body beside the Vietnamese
    ones): screened like the main text, signed off and published with it as one release."""

    language: str
    title: str
    body_text: str


@dataclass(frozen=True)
class Submission:
    """What an author hands in: validated by ``submit`` before anything is stored."""

    title: str
    channels: Sequence[str]
    declared_level: str
    body_text: str | None = None
    attachments: Sequence[Upload] = ()
    #: theme ids of the policy in force (zero or more)
    themes: Sequence[str] = ()
    #: the main text's language; None: the policy's default language
    language: str | None = None
    versions: Sequence[LanguageVersion] = ()
    #: the files of the language versions, each with its version's language (the English PDF
    #: of the press release beside the Vietnamese one among ``attachments``)
    version_files: Sequence[tuple[str, Upload]] = ()


@dataclass(frozen=True)
class _Checked:
    title: str
    channels: list[str]
    themes: tuple[str, ...]
    language: str
    versions: tuple[LanguageVersion, ...]
    #: the languages of ``Submission.version_files``, checked, in the same order
    file_languages: tuple[str, ...] = ()


def new_item_id() -> str:
    return secrets.token_hex(8)


def _title(raw: str) -> str:
    title = unicodedata.normalize("NFC", raw or "").strip()
    if not title:
        raise BadInput("the title is empty; give the item a title", code="item.title_empty")
    if len(title) > MAX_TITLE:
        raise BadInput(
            f"the title is {len(title)} characters long; keep it under {MAX_TITLE}",
            code="item.title_too_long",
            params={"length": len(title), "maximum": MAX_TITLE},
        )
    return title


def _versions(rt: Runtime, sub: Submission, language: str) -> tuple[LanguageVersion, ...]:
    if len(sub.versions) > MAX_VERSIONS:
        raise BadInput(f"too many language versions ({len(sub.versions)}); at most {MAX_VERSIONS}")
    seen = {language}
    checked: list[LanguageVersion] = []
    for version in sub.versions:
        if not version.language.strip():
            raise BadInput(
                "an additional version has no language; choose its language or leave it empty",
                code="version_language_missing",
            )
        code = rt.policy.checked_language(version.language)
        if code in seen:
            raise BadInput(
                f"two texts of the item are in language {code!r}; keep one version per "
                "language, beside the main text in another language",
                code="duplicate_language",
                params={"language": code},
            )
        seen.add(code)
        title = unicodedata.normalize("NFC", version.title or "").strip()
        body = unicodedata.normalize("NFC", version.body_text or "")
        if not title or not body.strip():
            raise BadInput(
                f"the {code} version needs both a title and a body text",
                code="version_incomplete",
                params={"language": code},
            )
        if len(title) > MAX_TITLE:
            raise BadInput(
                f"the title of the {code} version is {len(title)} characters long; keep it "
                f"under {MAX_TITLE}"
            )
        checked.append(LanguageVersion(code, title, body))
    return tuple(checked)


def _validate(rt: Runtime, sub: Submission) -> _Checked:
    title = _title(sub.title)
    if not sub.channels:
        raise BadInput(
            "no channel was chosen; pick at least one publication channel", code="item.no_channel"
        )
    policy = rt.policy
    known_channels = set(policy.channels)
    channels = sorted({c.strip() for c in sub.channels})
    for channel in channels:
        if channel not in known_channels:
            raise BadInput(
                f"unknown channel {channel!r}; use one of {', '.join(sorted(known_channels))}",
                code="item.unknown_channel",
                params={"channel": channel, "allowed": ", ".join(sorted(known_channels))},
            )
    require_configured(rt, channels)
    level_names = [level.name for level in policy.levels]
    if sub.declared_level not in level_names:
        raise BadInput(
            f"unknown level {sub.declared_level!r}; use one of {', '.join(level_names)}",
            code="item.unknown_level",
            params={"level": sub.declared_level or "", "allowed": ", ".join(level_names)},
        )
    if not (sub.body_text and sub.body_text.strip()) and not sub.attachments:
        raise BadInput(
            "the item has neither body text nor attachments; add one of them", code="item.empty"
        )
    files = len(sub.attachments) + len(sub.version_files)
    if files > MAX_ATTACHMENTS:
        raise BadInput(
            f"too many attachments ({files}); at most {MAX_ATTACHMENTS}",
            code="item.too_many_attachments",
            params={"count": files, "maximum": MAX_ATTACHMENTS},
        )
    themes = policy.checked_themes(sub.themes)
    language = policy.checked_language(
        sub.language if sub.language is not None else policy.default_language
    )
    versions = _versions(rt, sub, language)
    return _Checked(title, channels, themes, language, versions,
                    _file_languages(rt, sub, versions))  # fmt: skip


def _file_languages(
    rt: Runtime, sub: Submission, versions: tuple[LanguageVersion, ...]
) -> tuple[str, ...]:
    """The language of each version file: one the policy accepts and the item has a version
    in, else refused (a file of no version is never published as a stray file)."""
    have = {version.language for version in versions}
    checked: list[str] = []
    for language, upload in sub.version_files:
        if not language.strip():  # a file in a version's place with no version there
            raise VersionFileWithoutVersion(safe_filename(upload.filename), "")
        code = rt.policy.checked_language(language)
        if code not in have:
            raise VersionFileWithoutVersion(safe_filename(upload.filename), code)
        checked.append(code)
    return tuple(checked)


class FileTypeNotAccepted(BadInput):
    """An attachment's type is not one a chosen channel accepts (``code``:
    ``file_type_not_accepted``): refused at submission, not found after it."""

    code = "file_type_not_accepted"

    def __init__(self, filename: str, mime: str, channels: Sequence[str]) -> None:
        self.filename = filename
        self.mime = mime
        self.channels = tuple(channels)
        super().__init__(
            f"{filename!r} is {mime}, which channel(s) {', '.join(channels)} do not accept; "
            "convert the file or choose other channels"
        )


def file_type_refusal(
    rt: Runtime, channels: Sequence[str], name: str, data: bytes
) -> FileTypeNotAccepted | None:
    """The refusal for an attachment whose true type (as screening detects it) a chosen
    channel does not accept, or None. Files screening refuses or holds for another reason are
    left to the review (and the pre-check's screening), which says why."""
    from clearance.screening.filetype import detect
    from clearance.screening.limits import Held, Refused

    policy = rt.policy
    try:
        mime = detect(data, name, None)
    except (Held, Refused):
        return None
    refusing = [c for c in channels if not policy.channel(c).allows_file_type(mime)]
    return FileTypeNotAccepted(name, mime, refusing) if refusing else None


def check_file_types(rt: Runtime, channels: Sequence[str], parts: Sequence[PartEntry]) -> None:
    """Refuse the submission when an attachment is of a type a chosen channel does not accept
    (``FileTypeNotAccepted``): the author learns it now, not after the review."""
    from clearance.domain.manifest import PartRole

    for part in parts:
        if part.role is PartRole.ATTACHMENT:
            refusal = file_type_refusal(rt, channels, part.name, rt.blobs.read(part.sha256))
            if refusal is not None:
                raise refusal


def _store_parts(rt: Runtime, sub: Submission, checked: _Checked) -> list[PartEntry]:
    parts: list[PartEntry] = []
    text_names: set[str] = set()
    if sub.body_text and sub.body_text.strip():
        body = store_body(rt.blobs, sub.body_text)
        parts.append(body)
        text_names.add(body.name)
    for version in checked.versions:
        entry = store_version(rt.blobs, version.language, version.title, version.body_text)
        parts.append(entry)
        text_names.add(entry.name)
    names: set[str] = set()
    uploads: list[tuple[str | None, Upload]] = [(None, upload) for upload in sub.attachments]
    uploads += zip(checked.file_languages, (upload for _, upload in sub.version_files), strict=True)
    for language, upload in uploads:
        entry = store_upload(rt.blobs, upload)
        if language is not None:
            entry = dataclasses.replace(entry, language=language)
        if entry.name in text_names:
            raise BadInput(
                f"an attachment is named {entry.name!r}, the name a text of the item is "
                "published under; rename the attachment",
                code="item.attachment_named_as_body",
                params={"name": entry.name},
            )
        if entry.name in names:
            raise BadInput(
                f"two attachments are named {entry.name!r}; rename one of them",
                code="item.attachment_names_twice",
                params={"name": entry.name},
            )
        names.add(entry.name)
        parts.append(entry)
    return parts


def _add_revision(
    session: Session,
    *,
    item: Item,
    number: int,
    sub: Submission,
    checked: _Checked,
    parts: list[PartEntry],
    user: User,
    note: str | None,
) -> Revision:
    manifest = Manifest.build(
        kind=ManifestKind.SUBMITTED,
        item_id=item.id,
        title=checked.title,
        channels=checked.channels,
        declared_level=sub.declared_level,
        parts=parts,
        language=checked.language,
        themes=checked.themes,
    )
    revision = Revision(
        item_id=item.id,
        number=number,
        title=checked.title,
        channels=checked.channels,
        declared_level=sub.declared_level,
        themes=list(checked.themes),
        language=checked.language,
        created_by=user.id,
        manifest_json=manifest.canonical().decode("utf-8"),
        manifest_hash=manifest.hash,
        note=note,
    )
    revision.parts = [
        Part(
            position=i,
            role=p.role.value,
            filename=p.name,
            sha256=p.sha256,
            size=p.size,
            mime=p.mime,
            language=p.language,
            title=p.title,
            uploaded_by=user.id,
        )
        for i, p in enumerate(parts)
    ]
    session.add(revision)
    search.index_revision(session, revision)
    return revision


def _history(
    session: Session,
    item: Item,
    *,
    from_state: State | None,
    to_state: State,
    actor: User | None,
    reason: str | None,
) -> None:
    now = datetime.now(UTC)
    item.state = to_state.value
    item.updated_at = now
    session.add(
        StateChange(
            item_id=item.id,
            revision=item.current_revision,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            actor_id=actor.id if actor else None,
            reason=reason,
            at=now,
        )
    )


def submit(rt: Runtime, *, author: str, submission: Submission) -> str:
    """Store the parts, create the item and its first revision, and return the item id."""
    checked = _validate(rt, submission)
    with rt.sessions() as session:
        require_role(get_user(session, author), Role.AUTHOR)
    parts = _store_parts(rt, submission, checked)
    check_file_types(rt, checked.channels, parts)
    policy_hash = rt.policy.content_hash
    with rt.uow() as uow:
        user = get_user(uow.session, author)
        require_role(user, Role.AUTHOR)
        item = Item(
            id=new_item_id(),
            author_id=user.id,
            state=State.DRAFT.value,
            current_revision=1,
            policy_hash=policy_hash,
        )
        uow.session.add(item)
        uow.session.flush()
        revision = _add_revision(
            uow.session,
            item=item,
            number=1,
            sub=submission,
            checked=checked,
            parts=parts,
            user=user,
            note=None,
        )
        _history(uow.session, item, from_state=None, to_state=State.DRAFT, actor=user, reason=None)
        _history(
            uow.session,
            item,
            from_state=State.DRAFT,
            to_state=next_state(State.DRAFT, Action.SUBMIT),
            actor=user,
            reason=None,
        )
        _submitted_event(uow, item, revision, user, policy_hash)
        item_id = item.id
        uow.commit()
    return item_id


def _submitted_event(
    uow: UnitOfWork,
    item: Item,
    revision: Revision,
    user: User,
    policy_hash: str,
    removed: list[str] | None = None,
) -> None:
    """The submission in the log; a new revision also names the attachments of the revision
    before that it no longer carries (``removed_attachments``)."""
    extra: dict[str, Any] = {} if removed is None else {"removed_attachments": removed}
    uow.record(
        Event(
            "item.submitted",
            actor=user.username,
            item_id=item.id,
            revision=revision.number,
            manifest_hash=revision.manifest_hash,
            policy_hash=policy_hash,
            body={
                "title": revision.title,
                "channels": list(revision.channels),
                "declared_level": revision.declared_level,
                "author": user.username,
                "manifest": revision.manifest_json,
                "themes": list(revision.themes or []),
                "language": revision.language,
                "versions": [
                    {"language": p.language, "title": p.title, "part": p.filename}
                    | _version_files(revision, p.language)
                    for p in revision.parts
                    if p.role == PartRole.VERSION.value
                ],
                **extra,
            },
        )
    )


def _version_files(revision: Revision, language: str | None) -> dict[str, list[str]]:
    """``{"files": [...]}``: the names of the attachments of the version in ``language`` (the
    part -> version link signed into the log), or nothing for a version without files."""
    files = [
        p.filename
        for p in revision.parts
        if p.role == PartRole.ATTACHMENT.value and p.language == language
    ]
    return {"files": files} if files else {}


def new_revision(
    rt: Runtime,
    *,
    author: str,
    item_id: str,
    submission: Submission,
    note: str | None = None,
    answers: int | None = None,
) -> int:
    """Answer a change request with a new revision; earlier decisions stay, marked stale.

    ``answers`` is the revision the author revised (their form showed it): when the item has
    moved past it (another tab sent a revision first) the new one is refused with a
    ``Conflict``, never stacked on a revision the author did not read. Attachments of the
    revision before that the new one does not carry are named in the log."""
    checked = _validate(rt, submission)
    parts = _store_parts(rt, submission, checked)
    check_file_types(rt, checked.channels, parts)
    with rt.uow() as uow:
        user = get_user(uow.session, author)
        item = load_item(uow.session, item_id)
        if item.author_id != user.id:
            raise PolicyRefusal(
                f"only the author of item {item_id} can submit a new revision of it",
                code="item.revise_not_author",
                params={"item": item_id},
            )
        if answers is not None and answers != item.current_revision:
            raise Conflict(
                f"revision {answers} of item {item_id} was superseded by revision "
                f"{item.current_revision}; open the item again and answer the current state",
                code="item.revision_superseded",
                params={"item": item_id, "revision": answers, "current": item.current_revision},
            )
        state = State(item.state)
        target = next_state(state, Action.RESUBMIT)
        before = current_revision(uow.session, item)
        had = [p.filename for p in before.parts if p.role == PartRole.ATTACHMENT.value]
        item.current_revision += 1
        revision = _add_revision(
            uow.session,
            item=item,
            number=item.current_revision,
            sub=submission,
            checked=checked,
            parts=parts,
            user=user,
            note=note,
        )
        uow.session.flush()
        _history(uow.session, item, from_state=state, to_state=target, actor=user, reason=note)
        kept = {p.filename for p in revision.parts if p.role == PartRole.ATTACHMENT.value}
        _submitted_event(
            uow,
            item,
            revision,
            user,
            item.policy_hash or rt.policy.content_hash,
            removed=[name for name in had if name not in kept],
        )
        number = item.current_revision
        uow.commit()
    return number


def load_item(session: Session, item_id: str, *, for_update: bool = False) -> Item:
    query = select(Item).where(Item.id == item_id)
    if for_update:
        query = query.with_for_update(of=Item)
    item = session.scalar(query)
    if item is None:
        raise NotFound(
            f"there is no item {item_id!r}; list items with `clearance items list`",
            code="item.not_found",
            params={"item": item_id},
        )
    return item


def current_revision(session: Session, item: Item) -> Revision:
    revision = session.scalar(
        select(Revision).where(
            Revision.item_id == item.id, Revision.number == item.current_revision
        )
    )
    if revision is None:  # pragma: no cover - guarded by the schema
        raise NotFound(
            f"item {item.id} has no revision {item.current_revision}",
            code="item.revision_not_found",
            params={"item": item.id, "revision": item.current_revision},
        )
    return revision


def transition(
    uow: UnitOfWork,
    item: Item,
    action: Action,
    *,
    actor: User | None,
    reason: str | None = None,
    event_type: str | None = None,
    body: dict[str, Any] | None = None,
    manifest_hash: str | None = None,
    policy_hash: str | None = None,
) -> State:
    """Apply ``action`` to ``item`` inside ``uow``: check it, record history and the event.

    Other stages (classification, screening, sign-off, publication) call this so that every
    state change passes the state machine and lands in the audit log in the same transaction.
    """
    state = State(item.state)
    target = next_state(state, action)
    _history(uow.session, item, from_state=state, to_state=target, actor=actor, reason=reason)
    if event_type is not None:
        uow.record(
            Event(
                event_type,
                actor=actor.username if actor else None,
                item_id=item.id,
                revision=item.current_revision,
                manifest_hash=manifest_hash,
                policy_hash=policy_hash,
                body={"from": state.value, "to": target.value, **(body or {})},
            )
        )
    return target


def withdraw(rt: Runtime, *, actor: str, item_id: str, reason: str) -> None:
    """The author (or an admin) withdraws an item that is not yet published."""
    if not reason.strip():
        raise BadInput(
            "a reason is required to withdraw an item; say why",
            code="item.withdraw_reason_required",
        )
    with rt.uow() as uow:
        user = get_user(uow.session, actor)
        item = load_item(uow.session, item_id)
        if item.author_id != user.id and Role.ADMIN.value not in user.role_set:
            raise PolicyRefusal(
                f"only the author or an administrator can withdraw item {item_id}",
                code="item.withdraw_not_permitted",
                params={"item": item_id},
            )
        revision = current_revision(uow.session, item)
        transition(
            uow,
            item,
            Action.WITHDRAW,
            actor=user,
            reason=reason,
            event_type="item.withdrawn",
            body={"reason": reason},
            manifest_hash=revision.manifest_hash,
            policy_hash=item.policy_hash,
        )
        uow.commit()
