"""Build a real log (SQLite, real keys, real sign-offs) and export it, for the tamper suite."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from clearance.auditlog import store
from clearance.auditlog.checkpoint import Checkpoint
from clearance.auditlog.export import export_log
from clearance.auditlog.note import Signer
from clearance.auditlog.statement import SignedStatement
from clearance.auditlog.store import AuditLog
from clearance.canonical import canonical_hash
from clearance.events import Event
from clearance.signing.approver import enroll_approver_key, sign_decision, signoff_event
from clearance.storage.db import make_engine, make_session_factory
from clearance.storage.migrate import upgrade

ORIGIN = "test.clearance.local/log"
M1, M2, OTHER = "11" * 32, "22" * 32, "99" * 32
PASSWORD = "correct horse battery staple"
#: entries in the log ``build`` writes without ``finish``
HONEST_SIZE = 13


def quorum(count: int, *roles: str, same_unit: bool = False) -> dict[str, Any]:
    eligible = {"roles": sorted(roles), "units": None, "same_unit": same_unit}
    return {"quorum": {"count": count, "eligible": eligible}}


def stage(stage_id: str, rule: dict[str, Any], when: str = "always") -> dict[str, Any]:
    return {"id": stage_id, "when": when, "deadline_hours": 24, "rule": rule}


def policy_body(chains: dict[str, list[dict[str, Any]]], version: str = "1") -> dict[str, Any]:
    """A ``policy.loaded`` body in the form ``clearance.policy.policy_event_body`` writes."""
    document = {"metadata": {"version": version}, "chains": chains}
    return {
        "policy_hash": canonical_hash(document),
        "version": version,
        "signoff_chains": {
            level: {"chain": f"{level}_release", "stages": stages}
            for level, stages in chains.items()
        },
        "document": document,
    }


POLICY_BODY = policy_body(
    {
        "internal": [
            stage("review", quorum(1, "truong_phong")),
            stage("final", quorum(1, "lanh_dao")),
        ]
    }
)
POLICY = str(POLICY_BODY["policy_hash"])


@dataclass
class Scenario:
    """A log under construction: one commit (and checkpoint) per ``add``."""

    path: Path
    log: AuditLog
    signer: Signer
    session: Session
    now: datetime = field(default_factory=lambda: datetime(2025, 3, 1, 8, tzinfo=UTC))

    def add(self, *events: Event) -> int:
        self.now += timedelta(seconds=1)
        self.log.append(self.session, list(events), now=self.now)
        self.session.commit()
        return store.size(self.session) - 1

    def enroll(self, username: str) -> None:
        _, event = enroll_approver_key(
            self.session, username=username, password=PASSWORD, now=self.now
        )
        self.add(event)

    def sign(
        self, username: str, *, item: str, revision: int, manifest: str, role: str, stage: str,
        decision: str = "approve",
    ) -> SignedStatement:  # fmt: skip
        checkpoint = store.latest_checkpoint(self.session)
        assert checkpoint is not None
        return sign_decision(
            self.session, username=username, password=PASSWORD, origin=ORIGIN, item_id=item,
            revision=revision, manifest_hash=manifest, decision=decision, role=role,
            stage=stage, checkpoint=checkpoint, now=self.now,
        )  # fmt: skip

    def signoff(self, username: str, **kwargs: Any) -> int:
        return self.add(signoff_event(self.sign(username, **kwargs), policy_hash=POLICY))

    def export(self, directory: Path, checkpoints: str = "all") -> Path:
        export_log(self.session, directory, self.signer.verifier.vkey, checkpoints)
        return directory


def submitted(item: str, revision: int, manifest: str, author: str) -> Event:
    return Event("item.submitted", actor=author, item_id=item, revision=revision,
                 manifest_hash=manifest, policy_hash=POLICY, body={"author": author})  # fmt: skip


def on(event_type: str, item: str, revision: int, manifest: str, **body: Any) -> Event:
    return Event(event_type, actor="system", item_id=item, revision=revision,
                 manifest_hash=manifest, policy_hash=POLICY, body=body)  # fmt: skip


def build(tmp: Path, finish: Callable[[Scenario], None] | None = None) -> tuple[Scenario, Path]:
    """The honest story of itm_1, then ``finish`` (an attack or more history), then export."""
    engine = make_engine(f"sqlite:///{tmp / 'log.db'}")
    upgrade(engine)
    signer = Signer.generate(ORIGIN)
    session = make_session_factory(engine)()
    s = Scenario(tmp, AuditLog(ORIGIN, [signer]), signer, session)
    s.add(Event("policy.loaded", actor="operator", body=POLICY_BODY))
    for name, roles in (
        ("an", ["truong_phong"]),
        ("binh", ["truong_phong"]),
        ("chi", ["lanh_dao"]),
    ):
        s.add(Event("user.registered", actor="admin",
                    body={"username": name, "roles": ["approver"], "signoff_roles": roles}))  # fmt: skip
    for name in ("an", "binh", "chi"):
        s.enroll(name)
    s.add(submitted("itm_1", 1, M1, "an"))
    s.add(on("revision.classified", "itm_1", 1, M1, level="internal"))
    s.add(on("revision.screened", "itm_1", 1, M1, verdict="clear"))
    s.signoff("binh", item="itm_1", revision=1, manifest=M1, role="truong_phong", stage="review")
    s.signoff("chi", item="itm_1", revision=1, manifest=M1, role="lanh_dao", stage="final")
    s.add(on("publication.published", "itm_1", 1, M1, channel="website"))
    if finish is not None:
        finish(s)
    out = s.export(tmp / "export")
    return s, out


def cite_forged(s: Scenario) -> None:
    """An approver shown a checkpoint of a forged log (right size, other root) signs off on
    itm_2 citing it: the sign-off is entry ``HONEST_SIZE + 3`` of ``build``'s log."""
    s.add(submitted("itm_2", 1, M2, "an"))
    s.add(on("revision.classified", "itm_2", 1, M2, level="internal"))
    size = s.add(on("revision.screened", "itm_2", 1, M2, verdict="clear"))
    forged = Checkpoint(ORIGIN, size, bytes(32)).sign([Signer.generate(ORIGIN)])
    statement = sign_decision(
        s.session, username="binh", password=PASSWORD, origin=ORIGIN, item_id="itm_2",
        revision=1, manifest_hash=M2, decision="approve", role="truong_phong",
        stage="review", checkpoint=forged, now=s.now,
    )  # fmt: skip
    s.add(signoff_event(statement, policy_hash=POLICY))
