"""Review a submitted revision: screen every part, classify, fix the release manifest, open the
sign-off chain (or block), and tell the people who may sign now.

``review_revision`` is idempotent: calling it again for a revision that was already reviewed
returns the recorded outcome without screening or logging anything twice, so a retried or
re-run flow is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from clearance.crashpoint import crash_point
from clearance.domain.blocking import BlockReason, coded
from clearance.domain.lifecycle import Action, State, next_state
from clearance.domain.manifest import Manifest, ManifestKind, PartEntry, PartRole
from clearance.domain.roles import Role
from clearance.errors import Conflict
from clearance.notifications import NotificationKind, deliver_pending, notify, security_officers
from clearance.policy import Classification, Policy, SignoffState, classify, signoff_status
from clearance.policy.store import policy_for_item
from clearance.runtime import Runtime
from clearance.screening import ScreeningRules, screen_file, screen_text
from clearance.screening.isolated import screen_file_isolated
from clearance.screening.types import FileResult, Finding, Verdict, combine
from clearance.services.items import current_revision, load_item, transition
from clearance.services.previews import store_rendering
from clearance.storage.models import Item, Revision, SignoffRequest, User

#: sign-off request status values (``signoff_requests.status``)
OPEN, WAITING, COMPLETE, CLOSED = "open", "waiting", "complete", "closed"


@dataclass(frozen=True, slots=True)
class ReviewOutcome:
    """What the review decided for one revision."""

    item_id: str
    revision: int
    state: State
    level: str | None
    verdict: str
    release_manifest_hash: str | None
    stages: tuple[str, ...]
    notified: tuple[str, ...]
    reasons: tuple[str, ...] = ()

    @property
    def blocked(self) -> bool:
        return self.state is State.BLOCKED


@dataclass(frozen=True, slots=True)
class _PartInput:
    id: int
    name: str
    role: PartRole
    sha256: str
    mime: str
    language: str | None = None
    title: str | None = None


#: the name the title's findings carry (it is screened, not a part of the release)
TITLE_PART = "title"


@dataclass(frozen=True, slots=True)
class _Screened:
    part: _PartInput
    result: FileResult
    release: PartEntry
    rendered: dict[str, Any] | None = None  # the preview's blobs (clearance.services.previews)


@dataclass(frozen=True, slots=True)
class _PartFinding:
    """A screening finding that names its file (what ``classify`` reads as ``part``)."""

    rule: str
    level: str | None
    part: str
    location: str


def review_revision(rt: Runtime, item_id: str) -> ReviewOutcome:
    """Screen, classify and route the current revision of ``item_id`` (idempotent)."""
    with rt.sessions() as session:
        item = load_item(session, item_id)
        revision = current_revision(session, item)
        if State(item.state) is not State.SUBMITTED:
            if revision.screening_verdict is not None:
                return _recorded_outcome(session, item, revision)
            next_state(State(item.state), Action.CLASSIFY)  # raises IllegalTransition
        policy = policy_for_item(session, rt.policy, item.policy_hash)
        parts = [
            _PartInput(p.id, p.filename, PartRole(p.role), p.sha256, p.mime, p.language, p.title)
            for p in revision.parts
        ]
        channels = list(revision.channels)
        number, declared, title = revision.number, revision.declared_level, revision.title
        language, themes = revision.language, tuple(revision.themes or ())
    screened = [_screen(rt, policy, channels, part) for part in parts]
    # the title is published as the headline: it is screened as text like the body
    headline = screen_text(title, policy.screening, part=TITLE_PART)
    verdict = combine([headline, *(s.result for s in screened)])
    crash_point("review.screened")
    hints = [_PartFinding(f.rule, f.level, TITLE_PART, f.location) for f in headline.findings]
    hints += [
        _PartFinding(f.rule, f.level, _where(s.part.name, f), f.location)
        for s in screened
        for f in s.result.findings
    ]
    classification = classify(policy, declared_level=declared, channels=channels, findings=hints)
    reasons = _block_reasons(policy, verdict, classification, channels, screened, headline)
    release = Manifest.build(
        kind=ManifestKind.RELEASE,
        item_id=item_id,
        title=title,
        channels=channels,
        declared_level=declared,
        parts=[s.release for s in screened],
        language=language,
        themes=themes,
    )
    return _record(
        rt,
        item_id=item_id,
        number=number,
        policy=policy,
        verdict=verdict,
        classification=classification,
        reasons=reasons,
        release=release,
        screened=screened,
        headline=headline,
    )


def _version_of(part: _PartInput) -> dict[str, str]:
    """``{"version": language}`` for a language version's text or file (a finding names the
    version it was found in), nothing for the main text and its files."""
    return {"version": part.language} if part.language else {}


def _where(name: str, finding: Finding) -> str:
    return f"{name}: {finding.part}" if finding.part else name


def screen_part(
    rt: Runtime,
    rules: ScreeningRules,
    *,
    name: str,
    data: bytes,
    body: bool,
    allowed: frozenset[str],
) -> FileResult:
    """Screen one part of a submission: the review and the author's pre-check both call this.

    The body is text whatever it contains (HTML, a script, a PDF signature are words the
    author typed): it is screened as text, never typed by its content. An attachment is
    typed by its bytes against its name and the channels, in the isolated child when set."""
    if body:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = None  # not what store_body wrote: let the file path hold it
        if text is not None:
            return screen_text(text, rules, part=name)
    if not body and rt.settings.isolate_screening:
        # the hard guard: a parser hung in C or a runaway allocation becomes a held result
        return screen_file_isolated(data, name, rules, allowed_types=allowed)
    return screen_file(data, name, rules, allowed_types=allowed)


def version_text(title: str, data: bytes) -> bytes:
    """What a language version is screened as: its title, a blank line, its body (the title
    is published too, so a marking in it blocks like one in the body)."""
    return title.encode("utf-8") + b"\n\n" + data


def _screen(rt: Runtime, policy: Policy, channels: Sequence[str], part: _PartInput) -> _Screened:
    data = rt.blobs.read(part.sha256)
    allowed = policy.accepted_file_types(channels)
    is_text = part.role in (PartRole.BODY, PartRole.VERSION)
    screened = version_text(part.title or "", data) if part.role is PartRole.VERSION else data
    result = screen_part(
        rt, policy.screening, name=part.name, data=screened, body=is_text, allowed=allowed
    )
    if part.role is PartRole.VERSION:
        derived = data  # the body as typed; the title travels in the manifest
    else:
        derived = result.sanitized if result.sanitized is not None else data
    ref = rt.blobs.put_bytes(derived, name=f"the sanitized {part.name!r}")
    mime = part.mime if is_text else result.sanitized_type or result.detected_type or part.mime
    entry = PartEntry(
        name=part.name,
        role=part.role,
        sha256=ref.sha256,
        size=ref.size,
        mime=mime,
        language=part.language,
        title=part.title,
    )
    rendered = None
    if part.role is PartRole.ATTACHMENT:
        # the pages of what will be published: the derivative, not the upload
        rendered = store_rendering(rt, part.name, derived, mime, ref.sha256)
    return _Screened(part, result, entry, rendered)


def _block_reasons(
    policy: Policy,
    verdict: Verdict,
    classification: Classification,
    channels: Sequence[str],
    screened: Sequence[_Screened],
    headline: FileResult,
) -> tuple[BlockReason, ...]:
    reasons: list[BlockReason] = []
    if verdict is Verdict.BLOCKED:
        title_rules = ", ".join(
            sorted({f.rule for f in headline.findings if f.severity == "block"})
        )
        if title_rules:
            reasons.append(
                coded("blocked.title_rules", f"{TITLE_PART}: {title_rules}", rules=title_rules)
            )
        for s in screened:
            if s.result.verdict is Verdict.BLOCKED:
                name = s.part.name
                rules = ", ".join(
                    sorted({f.rule for f in s.result.findings if f.severity == "block"})
                )
                if rules:
                    reasons.append(
                        coded("blocked.part_rules", f"{name}: {rules}", part=name, rules=rules)
                    )
                elif s.result.held_reason:
                    held = s.result.held_reason
                    reasons.append(
                        coded("blocked.part_held", f"{name}: {held}", part=name, reason=held)
                    )
                else:
                    reasons.append(
                        coded("blocked.part", f"{name}: blocked by screening", part=name)
                    )
    reasons.extend(classification.refusals)
    for channel_name in channels:
        channel = policy.channel(channel_name)
        for s in screened:
            if not channel.allows_file_type(s.release.mime):
                mime = s.release.mime
                text = f"channel {channel_name} does not accept {mime} ({s.part.name})"
                reasons.append(
                    coded(
                        "blocked.channel_type",
                        text,
                        channel=channel_name,
                        mime=mime,
                        part=s.part.name,
                    )
                )
    return tuple(reasons)


def _screening_json(
    verdict: Verdict, screened: Sequence[_Screened], headline: FileResult
) -> dict[str, Any]:
    return {
        "verdict": str(verdict),
        "title": headline.to_json(),
        "parts": [
            {
                "name": s.part.name,
                **_version_of(s.part),
                "sanitized_sha256": s.release.sha256,
                **s.result.to_json(),
                **({"rendered": s.rendered} if s.rendered is not None else {}),
            }
            for s in screened
        ],
    }


def _record(
    rt: Runtime,
    *,
    item_id: str,
    number: int,
    policy: Policy,
    verdict: Verdict,
    classification: Classification,
    reasons: tuple[BlockReason, ...],
    release: Manifest,
    screened: Sequence[_Screened],
    headline: FileResult,
) -> ReviewOutcome:
    now = datetime.now(UTC)
    blocked = bool(reasons)
    with rt.uow() as uow:
        session = uow.session
        item = load_item(session, item_id, for_update=True)
        revision = current_revision(session, item)
        if revision.number != number or State(item.state) is not State.SUBMITTED:
            if revision.number == number and revision.screening_verdict is not None:
                return _recorded_outcome(session, item, revision)
            raise Conflict(
                f"item {item_id} changed while it was being reviewed; run the review again",
                code="review.item_changed",
                params={"item": item_id},
            )
        by_id = {p.id: p for p in revision.parts}
        for s in screened:
            part = by_id[s.part.id]
            part.sanitized_sha256 = s.release.sha256
            part.sanitized_size = s.release.size
            part.sanitized_mime = s.release.mime
        revision.level = classification.level
        revision.classification = classification.to_json()
        revision.screening_verdict = str(verdict)
        revision.screening = {
            **_screening_json(verdict, screened, headline),
            "blocked": [r.to_json() for r in reasons],
        }
        revision.policy_hash = policy.content_hash
        revision.release_manifest_json = release.canonical().decode("utf-8")
        revision.release_manifest_hash = release.hash
        transition(
            uow,
            item,
            Action.CLASSIFY,
            actor=None,
            event_type="revision.classified",
            body={
                "level": classification.level,
                "publishable": classification.publishable,
                "chain": classification.chain,
                "reasons": [r.to_json() for r in classification.reasons],
                "refusals": [str(r) for r in classification.refusals],
            },
            manifest_hash=revision.manifest_hash,
            policy_hash=policy.content_hash,
        )
        findings = [
            f.to_json() | {"file": s.part.name} | _version_of(s.part)
            for s in screened
            for f in s.result.findings
        ]
        target = transition(
            uow,
            item,
            Action.BLOCK if blocked else Action.AWAIT_SIGNOFF,
            actor=None,
            reason="; ".join(map(str, reasons)) if blocked else None,
            event_type="revision.screened",
            body={
                "verdict": str(verdict),
                "submitted_manifest": revision.manifest_hash,
                "release_manifest": release.hash,
                "findings": findings,
                "blocked": [r.to_json() for r in reasons],
            },
            manifest_hash=release.hash,
            policy_hash=policy.content_hash,
        )
        stages: tuple[str, ...] = ()
        notified: list[str] = []
        if blocked:
            secret = policy.level(classification.level).state_secret
            notes = notify(
                session,
                base_url=rt.settings.public_base_url,
                user_ids=[item.author_id, *(security_officers(session) if secret else [])],
                item_id=item.id,
                kind=NotificationKind.SECRET_BLOCKED if secret else NotificationKind.BLOCKED,
            )
        else:
            state = _open_chain(session, item, revision, policy, now)
            stages = tuple(p.stage_id for p in state.stages)
            users = eligible_approvers(session, state)
            notified = [u.username for u in users]
            notes = notify(
                session,
                base_url=rt.settings.public_base_url,
                user_ids=[u.id for u in users],
                item_id=item.id,
                kind=NotificationKind.SIGNOFF_REQUESTED,
                stage=state.open_stage.stage_id if state.open_stage else None,
            )
        note_ids = [n.id for n in notes]
        uow.commit(now=now)
    crash_point("review.committed")
    deliver_pending(rt, note_ids)
    return ReviewOutcome(
        item_id=item_id,
        revision=number,
        state=target,
        level=classification.level,
        verdict=str(verdict),
        release_manifest_hash=release.hash,
        stages=stages,
        notified=tuple(notified),
        reasons=tuple(map(str, reasons)),
    )


def _open_chain(
    session: Any, item: Item, revision: Revision, policy: Policy, now: datetime
) -> SignoffState:
    """Create one ``signoff_requests`` row per stage that applies; the first one opens now."""
    assert revision.level is not None and revision.release_manifest_hash is not None
    held = revision.screening_verdict == Verdict.REVIEW.value
    chain = policy.chain_for(revision.level)
    assert chain is not None  # a level without a chain was blocked by its refusals
    state = signoff_status(
        policy,
        level=revision.level,
        manifest_hash=revision.release_manifest_hash,
        decisions=(),
        author_id=item.author_id,
        uploader_ids=[p.uploaded_by for p in revision.parts],
        editor_ids=[revision.created_by],
        drafting_unit=item.author.unit,
        held_for_review=held,
        submitted_at=now,
    )
    first = True
    for index, stage in enumerate(chain.stages):
        if not stage.applies(held_for_review=held):
            continue
        roles, units = _stage_roles(stage.rule.to_json())
        session.add(
            SignoffRequest(
                revision_id=revision.id,
                stage=index,
                stage_name=stage.id,
                roles=sorted(roles),
                units=sorted(units) if units else None,
                quorum=min(len(alt) for alt in stage.rule.alternatives()),
                due_at=now + timedelta(hours=stage.deadline_hours) if first else None,
                status=OPEN if first else WAITING,
                created_at=now,
            )
        )
        first = False
    return state


def _stage_roles(rule: Any) -> tuple[set[str], set[str]]:
    """Every role and unit named anywhere in a rule's JSON form."""
    roles: set[str] = set()
    units: set[str] = set()
    if isinstance(rule, dict):
        if "roles" in rule and isinstance(rule["roles"], list):
            roles.update(str(r) for r in rule["roles"])
            if isinstance(rule.get("units"), list):
                units.update(str(u) for u in rule["units"])
        for value in rule.values():
            more_roles, more_units = _stage_roles(value)
            roles |= more_roles
            units |= more_units
    elif isinstance(rule, list):
        for value in rule:
            more_roles, more_units = _stage_roles(value)
            roles |= more_roles
            units |= more_units
    return roles, units


def eligible_approvers(session: Any, state: SignoffState) -> list[User]:
    """Active approvers who could fill a missing slot of the open stage right now."""
    if state.open_stage is None:
        return []
    users = session.scalars(select(User).where(User.active.is_(True)).order_by(User.username))
    return [
        u
        for u in users
        if Role.APPROVER.value in u.role_set
        and any(state.may_sign(u.id, {role}, u.unit) for role in u.signoff_role_set)
    ]


def _recorded_outcome(session: Any, item: Item, revision: Revision) -> ReviewOutcome:
    stages = session.scalars(
        select(SignoffRequest.stage_name)
        .where(SignoffRequest.revision_id == revision.id)
        .order_by(SignoffRequest.stage)
    )
    blocked = (revision.screening or {}).get("blocked") or []
    return ReviewOutcome(
        item_id=item.id,
        revision=revision.number,
        state=State(item.state),
        level=revision.level,
        verdict=revision.screening_verdict or "",
        release_manifest_hash=revision.release_manifest_hash,
        stages=tuple(stages),
        notified=(),
        reasons=tuple(str(BlockReason.from_json(r)) for r in blocked),
    )
