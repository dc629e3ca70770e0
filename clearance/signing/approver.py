"""Approver keys in the database and the sign-off use cases the web UI and CLI call.

Each function returns the ``Event`` the caller records in the same unit of work, so a key or a
sign-off never exists without its log entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from clearance.approval import DecisionKind
from clearance.auditlog.checkpoint import parse_body
from clearance.auditlog.entry import format_time
from clearance.auditlog.note import Signer, parse_vkey, split
from clearance.auditlog.note import sign as sign_note
from clearance.auditlog.pointcheck import check_public_key
from clearance.auditlog.sealed import seal, unseal
from clearance.auditlog.statement import SignedStatement, SignOff, verify_statement
from clearance.errors import BadInput, NotFound
from clearance.events import Event
from clearance.signing.models import approver_keys

__all__ = [
    "active_vkey",
    "enroll_approver_key",
    "sign_decision",
    "signoff_event",
    "verify_statement",
]


def active_vkey(session: Session, username: str) -> str | None:
    row = session.execute(
        select(approver_keys.c.vkey).where(
            approver_keys.c.username == username, approver_keys.c.retired_at.is_(None)
        )
    ).scalar()
    return None if row is None else str(row)


def enroll_approver_key(
    session: Session, *, username: str, password: str, now: datetime, actor: str | None = None
) -> tuple[str, Event]:
    """Generate the approver's key pair, seal the private key under ``password``, retire any
    earlier key; return the vkey and the ``key.registered`` or ``key.rotated`` event to record."""
    signer = Signer.generate(username)
    vkey = signer.verifier.vkey
    check_public_key(signer.verifier.public_key)
    old = active_vkey(session, username)
    if old is not None:
        session.execute(
            update(approver_keys)
            .where(approver_keys.c.username == username, approver_keys.c.retired_at.is_(None))
            .values(retired_at=now)
        )
    session.execute(
        insert(approver_keys).values(
            username=username,
            vkey=vkey,
            sealed=seal(signer.seed, password, context=vkey),
            created_at=now,
        )
    )
    if old is None:
        event = Event("key.registered", actor=actor or username,
                      body={"username": username, "vkey": vkey})  # fmt: skip
    else:
        event = Event(
            "key.rotated",
            actor=actor or username,
            body={"username": username, "old_vkey": old, "new_vkey": vkey},
        )
    return vkey, event


def sign_decision(
    session: Session,
    *,
    username: str,
    password: str,
    origin: str,
    item_id: str,
    revision: int,
    manifest_hash: str,
    decision: DecisionKind | str,
    role: str,
    stage: str,
    checkpoint: str,
    now: datetime,
) -> SignedStatement:
    """Unlock the approver's key with ``password`` only to sign this one statement.

    ``checkpoint`` is the signed checkpoint note the approver was shown.
    """
    row = session.execute(
        select(approver_keys.c.vkey, approver_keys.c.sealed).where(
            approver_keys.c.username == username, approver_keys.c.retired_at.is_(None)
        )
    ).first()
    if row is None:
        raise NotFound(
            f"{username} has no signing key; enrol one before signing off",
            code="signoff.no_key",
            params={"username": username},
        )
    text, _ = split(checkpoint)
    seen = parse_body(text)
    statement = SignOff(
        origin=origin,
        item=item_id,
        revision=revision,
        manifest=manifest_hash,
        decision=DecisionKind(decision),
        role=role,
        stage=stage,
        signer=username,
        time=format_time(now),
        checkpoint_size=seen.size,
        checkpoint_root=seen.root,
    )
    signer = Signer(username, unseal(str(row.sealed), password))
    if signer.verifier.vkey != row.vkey:
        raise BadInput(f"the sealed key of {username} does not match its public key")
    note = sign_note(statement.text(), [signer])
    verify_statement(note, parse_vkey(str(row.vkey)))
    return SignedStatement(statement, note, str(row.vkey))


def signoff_event(signed: SignedStatement, *, policy_hash: str | None) -> Event:
    """The ``signoff.decided`` event binding a signed statement."""
    s = signed.statement
    return Event(
        "signoff.decided",
        actor=s.signer,
        item_id=s.item,
        revision=s.revision,
        manifest_hash=s.manifest,
        policy_hash=policy_hash,
        body={
            "decision": s.decision.value,
            "role": s.role,
            "stage": s.stage,
            "statement": signed.note,
        },
    )
