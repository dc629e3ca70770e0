"""The release point: everything is checked again, from the records, just before publication.

``check_release`` trusts nothing that was computed earlier in the pipeline (and nothing Prefect
holds): it re-hashes the exact bytes in the blob store against the release manifest, re-verifies
every decision's signature with the approver's registered key and finds that exact statement in
the audit log, re-evaluates the sign-off chain under the policy the revision was reviewed with,
and confirms the screening verdict and classification. Any doubt raises ``VerificationError``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.statement import verify_statement
from clearance.auditlog.store import leaf_at, seqs_for_item
from clearance.canonical import canonical_json
from clearance.domain.lifecycle import State
from clearance.domain.manifest import Manifest, ManifestKind
from clearance.errors import BadInput, PolicyRefusal, VerificationError
from clearance.policy import Decision as RuleDecision
from clearance.policy import DecisionKind, Policy, SignoffStatus
from clearance.policy.store import stored_policy
from clearance.runtime import Runtime
from clearance.screening.types import Verdict
from clearance.services.grants import Divergence, Grants, divergence, logged_grants, report_unlogged
from clearance.services.items import current_revision, load_item
from clearance.services.signoff import revision_signoff_state, statement_decision
from clearance.storage.models import Decision, Item, Revision, SignoffRequest

PUBLISHABLE_VERDICTS = frozenset({Verdict.CLEAR.value, Verdict.REVIEW.value})


@dataclass(frozen=True, slots=True)
class ReleasePart:
    name: str
    role: str
    mime: str
    sha256: str
    data: bytes
    #: a language version's language and title (role ``version``)
    language: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Approval:
    approver: str
    display_name: str
    role: str
    stage: str
    decision: str
    comment: str | None
    at: datetime
    statement: str
    #: the role and stage by the labels of the policy the revision was reviewed with, for
    #: pages people read (``approvals.json`` keeps the ids the statements sign)
    role_label: str = ""
    stage_label: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "approver": self.approver,
            "name": self.display_name,
            "role": self.role,
            "stage": self.stage,
            "decision": self.decision,
            "comment": self.comment,
            "at": self.at.isoformat(),
            "statement": self.statement,
        }


@dataclass(frozen=True, slots=True)
class Release:
    """Exactly what was approved, with the bytes, ready for a channel."""

    item_id: str
    revision: int
    title: str
    level: str
    channels: tuple[str, ...]
    manifest_json: str
    manifest_hash: str
    policy_hash: str
    parts: tuple[ReleasePart, ...]
    approvals: tuple[Approval, ...]
    #: the language of the main text (None in manifests made before languages)
    language: str | None = None

    def version_of(self, part: ReleasePart) -> tuple[str | None, str]:
        """The language and title of the text ``part`` goes with: a version part's own, the
        version's for a file of that version, else the main text's."""
        if part.language is None:
            return self.language, self.title
        if part.role == "version" and part.title is not None:
            return part.language, part.title
        for version in self.parts:
            if version.role == "version" and version.language == part.language:
                return part.language, version.title or self.title
        return part.language, self.title  # the manifest checks a file's version exists

    def approvals_json(self) -> bytes:
        return canonical_json(
            {
                "item": self.item_id,
                "revision": self.revision,
                "manifest": self.manifest_hash,
                "policy": self.policy_hash,
                "approvals": [a.to_json() for a in self.approvals],
            }
        )

    @property
    def body_text(self) -> str | None:
        for part in self.parts:
            if part.role == "body":
                return part.data.decode("utf-8", errors="replace")
        return None


def check_release(rt: Runtime, item_id: str, channel: str | None = None) -> Release:
    """Re-verify everything about the current revision of ``item_id`` and return its release.

    A sign-off that counts on a role or unit granted outside the service (in the tables, not
    in the log) refuses the release and is reported in the audit log."""
    with rt.sessions() as session:
        found = _release_in(rt, session, item_id, channel)
    if isinstance(found, Release):
        return found
    for one in found:
        report_unlogged(rt, one, where="release", item_id=item_id)
    raise VerificationError(
        f"the sign-off of {found[0].username} on item {item_id} counts on "
        f"{found[0].describe()}, which no logged, confirmed change granted (it was written "
        "into the users table outside the service); it will not be published until an "
        "administrator grants it through the admin page and the item is signed again",
        code="release.unlogged_grant",
        params={"username": found[0].username, "item": item_id, "found": found[0].describe()},
    )


def _release_in(
    rt: Runtime, session: Session, item_id: str, channel: str | None
) -> Release | list[Divergence]:
    item = load_item(session, item_id)
    if State(item.state) not in (State.APPROVED, State.PUBLISHED):
        raise PolicyRefusal(
            f"item {item_id} is {item.state}, not approved; only approved items are published",
            code="release.not_approved",
            params={"item": item_id, "state": str(item.state)},
        )
    revision = current_revision(session, item)
    manifest = _manifest(revision)
    if channel is not None and channel not in manifest.channels:
        raise PolicyRefusal(
            f"item {item_id} was not approved for channel {channel}",
            code="release.channel_not_approved",
            params={"item": item_id, "channel": channel},
        )
    if revision.screening_verdict not in PUBLISHABLE_VERDICTS:
        raise VerificationError(
            f"item {item_id} has screening verdict {revision.screening_verdict!r}; "
            "only a clear or reviewed verdict may be published",
            code="release.verdict",
            params={"item": item_id, "verdict": str(revision.screening_verdict)},
        )
    assert revision.policy_hash is not None and revision.level is not None
    policy = stored_policy(session, revision.policy_hash)
    _check_level(policy, revision, manifest)
    decisions, approvals, unlogged = _verified_decisions(rt, session, item, revision)
    if unlogged:
        return unlogged
    state = revision_signoff_state(session, policy, item, revision, decisions=decisions)
    if state.status is not SignoffStatus.APPROVED:
        missing = "; ".join(state.missing) or state.status.value
        raise VerificationError(
            f"the recorded sign-offs of item {item_id} do not satisfy policy "
            f"{policy.version} ({missing}); it will not be published",
            code="release.signoffs_missing",
            params={"item": item_id, "version": policy.version, "missing": missing},
        )
    counted = state.counted
    parts = tuple(
        ReleasePart(
            p.name,
            p.role.value,
            p.mime,
            p.sha256,
            _exact_bytes(rt, p.sha256, p.size),
            p.language,
            p.title,
        )
        for p in manifest.parts
    )
    return Release(
        item_id=item.id,
        revision=revision.number,
        title=manifest.title,
        level=revision.level,
        channels=manifest.channels,
        manifest_json=revision.release_manifest_json or "",
        manifest_hash=manifest.hash,
        policy_hash=policy.content_hash,
        parts=parts,
        approvals=tuple(
            replace(
                a,
                role_label=policy.signoff_role_label(a.role),
                stage_label=policy.stage_label(a.stage),
            )
            for a, d in approvals
            if d.approver_id in counted
        ),
        language=manifest.language,
    )


def _manifest(revision: Revision) -> Manifest:
    if revision.release_manifest_json is None or revision.release_manifest_hash is None:
        raise VerificationError(
            f"revision {revision.number} has no release manifest",
            code="release.no_manifest",
            params={"revision": revision.number},
        )
    try:
        manifest = Manifest.from_json_text(revision.release_manifest_json)
    except BadInput as exc:
        raise VerificationError(
            f"the stored release manifest is unreadable: {exc}",
            code="release.manifest_unreadable",
            params={"detail": str(exc)},
        ) from exc
    if manifest.kind is not ManifestKind.RELEASE:
        raise VerificationError(
            "the stored release manifest is not of kind release", code="release.manifest_kind"
        )
    if manifest.canonical().decode("utf-8") != revision.release_manifest_json:
        raise VerificationError(
            "the stored release manifest is not in canonical form",
            code="release.manifest_not_canonical",
        )
    if manifest.hash != revision.release_manifest_hash:
        raise VerificationError(
            f"the release manifest hashes to {manifest.hash}, not the recorded "
            f"{revision.release_manifest_hash}: it was changed after review",
            code="release.manifest_changed",
            params={"hash": manifest.hash, "recorded": revision.release_manifest_hash},
        )
    return manifest


def _check_level(policy: Policy, revision: Revision, manifest: Manifest) -> None:
    assert revision.level is not None
    level = policy.level(revision.level)
    if not level.publishable:
        raise VerificationError(
            f"level {level.name} can never be published",
            code="release.level_unpublishable",
            params={"level": level.name},
        )
    for name in manifest.channels:
        channel = policy.channel(name)
        if level.name not in channel.levels:
            raise VerificationError(
                f"channel {name} does not accept level {level.name}",
                code="release.channel_level",
                params={"channel": name, "level": level.name},
            )
        for part in manifest.parts:
            if not channel.allows_file_type(part.mime):
                raise VerificationError(
                    f"channel {name} does not accept {part.mime}",
                    code="release.channel_type",
                    params={"channel": name, "mime": part.mime},
                )


def _exact_bytes(rt: Runtime, sha256: str, size: int) -> bytes:
    data = rt.blobs.read(sha256)  # raises VerificationError when the bytes changed
    if len(data) != size:
        raise VerificationError(
            f"blob {sha256} has {len(data)} bytes, the manifest says {size}",
            code="release.blob_size",
            params={"blob": sha256, "size": len(data), "want": size},
        )
    return data


def _logged_statements(session: Session, item_id: str) -> dict[str, int]:
    """Signed statements of ``signoff.decided`` entries for the item, with their log index."""
    found: dict[str, int] = {}
    for seq in seqs_for_item(session, item_id):
        entry = parse_leaf(leaf_at(session, seq))
        if entry.type == "signoff.decided":
            statement = entry.body.get("statement")
            if isinstance(statement, str):
                found.setdefault(statement, seq)
    return found


def _stage_names(session: Session, revision: Revision) -> dict[int, str]:
    rows = session.execute(
        select(SignoffRequest.stage, SignoffRequest.stage_name).where(
            SignoffRequest.revision_id == revision.id
        )
    )
    return {int(r.stage): str(r.stage_name) for r in rows}


def _verified_decisions(
    rt: Runtime, session: Session, item: Item, revision: Revision
) -> tuple[list[RuleDecision], list[tuple[Approval, RuleDecision]], list[Divergence]]:
    """Every decision of the revision whose signature, log entry and logged grant all hold.

    The role, unit and key that count are the ones the audit log granted the approver before
    the decision's own entry (``logged_grants``), never the ``users`` or ``approver_keys``
    tables. A decision that fails any check is dropped (it then cannot count towards the
    chain); one whose role or unit only the tables give is also returned as a divergence."""
    logged = _logged_statements(session, item.id)
    stages = _stage_names(session, revision)
    rows = session.scalars(
        select(Decision).where(Decision.revision_id == revision.id).order_by(Decision.id)
    )
    decisions: list[RuleDecision] = []
    approvals: list[tuple[Approval, RuleDecision]] = []
    unlogged: list[Divergence] = []
    for row in rows:
        stage = stages.get(row.stage, f"#{row.stage}")
        seq = logged.get(row.statement or "")
        if seq is None or not row.approver.active:
            continue
        grants = logged_grants(session, row.approver.username, before=seq)
        found = divergence(row.approver, grants)
        if found is not None and (row.role in found.unlogged_roles or found.unit_differs):
            unlogged.append(found)
            continue
        if row.role not in grants.signoff_roles:
            continue
        if not _decision_holds(rt, item, revision, row, stage, grants):
            continue
        rule = RuleDecision(
            approver_id=row.approver_id,
            roles=frozenset({row.role}),
            unit=grants.unit,
            kind=DecisionKind(row.decision),
            manifest_hash=row.manifest_hash,
            stage=stage,
            at=row.created_at,
        )
        decisions.append(rule)
        if rule.kind.approves:
            approval = Approval(
                approver=row.approver.username,
                display_name=row.approver.display_name,
                role=row.role,
                stage=stage,
                decision=row.decision,
                comment=row.comment,
                at=row.created_at,
                statement=row.statement or "",
            )
            approvals.append((approval, rule))
    return decisions, approvals, unlogged


def _decision_holds(
    rt: Runtime, item: Item, revision: Revision, row: Decision, stage: str, grants: Grants
) -> bool:
    """The decision's statement is signed by the key the log registered to its approver and
    says exactly what the row records."""
    if grants.key is None or row.statement is None:
        return False
    try:
        kind = DecisionKind(row.decision)
        statement = verify_statement(row.statement, grants.key)
    except (ValueError, BadInput, VerificationError):
        return False
    return (
        statement.origin == rt.settings.log_origin
        and statement.item == item.id
        and statement.revision == revision.number
        and statement.manifest == row.manifest_hash
        and statement.decision.value == statement_decision(kind)
        and statement.role == row.role
        and statement.stage == stage
        and statement.signer == row.approver.username
    )
