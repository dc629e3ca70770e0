"""Workflow rules recorded in the log, checked offline (pure).

Event bodies the verifier reads (other fields are allowed and ignored). ``actor``, ``item``,
``revision``, ``manifest`` and ``policy`` are the entry's own fields.

- ``user.registered``: ``{"username": str, "signoff_roles": [str], ...}`` (latest one wins).
- ``user.roles_changed``: ``{"username": str, "after": {"signoff_roles": [str], ...}, ...}``.
- ``key.registered``: ``{"username": str, "vkey": str}``; the vkey's name is the username and the
  key must be canonical and of prime order, else the entry is a finding.
- ``key.rotated``: ``{"username": str, "old_vkey": str, "new_vkey": str}``.
- ``log.key_rotated``: ``{"old_vkey", "new_vkey", "statement"}``: the statement is a note signed by
  both keys (see ``clearance.auditlog.setup``); checked by the verifier, which then trusts the
  new key for later checkpoints.
- ``policy.loaded``: ``{"policy_hash": str, "chains": {level: [{"stage": str, "roles": [str],
  "quorum": int}]}}``: the sign-off chain required per classification level.
- ``item.submitted``: entry item, revision, manifest, policy; body ``{"author": str, ...}``
  (defaults to the actor). A revision's manifest is fixed here.
- ``revision.classified``: body ``{"level": str}``; entry policy is the policy hash applied.
- ``revision.screened``: body ``{"verdict": "clear" | "review" | "blocked"}``.
- ``signoff.decided``: actor = approver; body ``{"decision", "role", "stage", "statement"}``
  where statement is the signed note from ``clearance.signing.statement``.
- ``publication.published``: entry item, revision and manifest of the bytes published.
- Other types (``item.withdrawn``, ``revision.approved`` ...) are bound by the hashes only.

Publication rule: the published manifest is the revision's manifest; the latest screening of the
revision is ``clear``; for the revision's level under the recorded policy every stage has at least
``quorum`` approvals from distinct approvers holding one of the stage's roles, none of them the
author, each with a valid signature by the key registered to them at that point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clearance.auditlog.entry import Entry
from clearance.auditlog.findings import Finding
from clearance.auditlog.note import Verifier, parse_vkey, split
from clearance.auditlog.pointcheck import check_public_key
from clearance.errors import BadInput
from clearance.signing.statement import Decision, SignOff, parse_statement


@dataclass(frozen=True, slots=True)
class Stage:
    stage: str
    roles: frozenset[str]
    quorum: int


@dataclass(frozen=True, slots=True)
class SignatureJob:
    """An approver signature to check: deferred so checks can run in parallel."""

    index: int
    public_key: bytes
    message: bytes
    signature: bytes


@dataclass
class RevisionState:
    author: str | None
    manifest: str | None
    policy: str | None
    level: str | None = None
    verdict: str | None = None
    screened_manifest: str | None = None
    approvals: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def parse_chains(body: Mapping[str, Any]) -> dict[str, list[Stage]]:
    chains = body.get("chains")
    if not isinstance(chains, dict):
        raise BadInput("policy.loaded body needs a chains object")
    out: dict[str, list[Stage]] = {}
    for level, stages in chains.items():
        if not isinstance(stages, list):
            raise BadInput(f"policy chain for level {level!r} must be a list")
        parsed = []
        for stage in stages:
            if not isinstance(stage, dict):
                raise BadInput(f"policy chain stage for level {level!r} must be an object")
            name, roles, quorum = stage.get("stage"), stage.get("roles"), stage.get("quorum")
            if (
                not isinstance(name, str)
                or not isinstance(roles, list)
                or not roles
                or not all(isinstance(r, str) for r in roles)
                or not isinstance(quorum, int)
                or quorum < 1
            ):
                raise BadInput(f"policy chain stage {stage!r} needs stage, roles and quorum >= 1")
            parsed.append(Stage(name, frozenset(roles), quorum))
        out[str(level)] = parsed
    return out


class Workflow:
    """Feed entries in order with ``apply``; read ``findings``, ``jobs`` and ``checkpoint_refs``."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.jobs: list[SignatureJob] = []
        self.checkpoint_refs: list[tuple[int, int, bytes]] = []
        self.roles: dict[str, frozenset[str]] = {}
        self.keys: dict[str, Verifier] = {}
        self.policies: dict[str, dict[str, list[Stage]]] = {}
        self.revisions: dict[tuple[str, int], RevisionState] = {}

    def _find(self, code: str, index: int, message: str) -> None:
        self.findings.append(Finding(code, index, message))

    def apply(self, index: int, entry: Entry) -> None:
        handler = _HANDLERS.get(entry.type)
        if handler is not None:
            handler(self, index, entry)

    # --- users and keys -------------------------------------------------------------------
    def _user(self, index: int, entry: Entry) -> None:
        body = entry.body
        roles = body.get("signoff_roles")
        if entry.type == "user.roles_changed":
            after = body.get("after")
            roles = after.get("signoff_roles") if isinstance(after, dict) else None
        name = body.get("username")
        if isinstance(name, str) and isinstance(roles, list):
            self.roles[name] = frozenset(str(r) for r in roles)

    def _key(self, index: int, entry: Entry) -> None:
        body = entry.body
        name = body.get("username")
        new = body.get("vkey") if entry.type == "key.registered" else body.get("new_vkey")
        if not isinstance(name, str) or not isinstance(new, str):
            self._find("key-malformed", index, f"{entry.type} needs username and vkey strings")
            return
        try:
            verifier = parse_vkey(new)
            check_public_key(verifier.public_key)
        except BadInput as exc:
            self._find("bad-key", index, f"{entry.type} for {name} registers a refused key: {exc}")
            return
        if verifier.name != name:
            self._find("bad-key", index, f"key named {verifier.name!r} registered for {name!r}")
            return
        if entry.type == "key.rotated":
            current = self.keys.get(name)
            if current is None or current.vkey != body.get("old_vkey"):
                self._find("bad-key", index, f"key.rotated for {name} does not name the active key")
                return
        self.keys[name] = verifier

    # --- policy and revisions -------------------------------------------------------------
    def _policy(self, index: int, entry: Entry) -> None:
        policy_hash = entry.body.get("policy_hash")
        try:
            chains = parse_chains(entry.body)
        except BadInput as exc:
            self._find("policy-malformed", index, str(exc))
            return
        if not isinstance(policy_hash, str):
            self._find("policy-malformed", index, "policy.loaded body needs a policy_hash string")
            return
        self.policies[policy_hash] = chains

    def _revision(self, entry: Entry) -> RevisionState | None:
        if entry.item is None or entry.revision is None:
            return None
        return self.revisions.get((entry.item, entry.revision))

    def _submitted(self, index: int, entry: Entry) -> None:
        if entry.item is None or entry.revision is None or entry.manifest is None:
            self._find(
                "submission-malformed", index, "item.submitted needs item, revision, manifest"
            )
            return
        author = entry.body.get("author", entry.actor)
        self.revisions[(entry.item, entry.revision)] = RevisionState(
            author=author if isinstance(author, str) else entry.actor,
            manifest=entry.manifest,
            policy=entry.policy,
        )

    def _classified(self, index: int, entry: Entry) -> None:
        rev = self._revision(entry)
        level = entry.body.get("level")
        if rev is not None and isinstance(level, str):
            rev.level = level
            rev.policy = entry.policy or rev.policy

    def _screened(self, index: int, entry: Entry) -> None:
        rev = self._revision(entry)
        verdict = entry.body.get("verdict")
        if rev is not None:
            rev.verdict = verdict if isinstance(verdict, str) else None
            rev.screened_manifest = entry.manifest

    # --- sign-offs ------------------------------------------------------------------------
    def _signoff(self, index: int, entry: Entry) -> None:
        body = entry.body
        note = body.get("statement")
        if not isinstance(note, str):
            self._find("signoff-malformed", index, "signoff.decided has no signed statement")
            return
        try:
            text, signatures = split(note)
            statement = parse_statement(text)
        except BadInput as exc:
            self._find("signoff-malformed", index, f"sign-off statement is malformed: {exc}")
            return
        if not self._statement_matches(index, entry, statement):
            return
        actor = statement.signer
        key = self.keys.get(actor)
        if key is None:
            self._find("signoff-unknown-key", index, f"{actor} signed off with no registered key")
            return
        sig = next((s for s in signatures if s.name == key.name and s.key_id == key.key_id), None)
        if sig is None:
            self._find(
                "signoff-signature", index, f"the statement is not signed by {actor}'s active key"
            )
            return
        self.jobs.append(SignatureJob(index, key.public_key, text.encode(), sig.signature))
        if statement.checkpoint_size > index:
            self._find(
                "signoff-checkpoint",
                index,
                f"the statement cites checkpoint size {statement.checkpoint_size}, "
                f"beyond its own entry {index}",
            )
            return
        self.checkpoint_refs.append((index, statement.checkpoint_size, statement.checkpoint_root))
        rev = self._revision(entry)
        if rev is None:
            self._find("signoff-unknown-revision", index,
                       f"sign-off on {entry.item} revision {entry.revision}, never submitted")  # fmt: skip
            return
        if rev.manifest != statement.manifest:
            self._find(
                "signoff-mismatch",
                index,
                f"sign-off on manifest {statement.manifest[:12]} but revision {entry.revision} "
                f"of {entry.item} has manifest {(rev.manifest or '')[:12]}",
            )
            return
        if rev.author == actor:
            self._find("self-approval", index,
                       f"{actor} signed off on {entry.item} revision {entry.revision}, "
                       "which they authored")  # fmt: skip
            return
        if statement.role not in self.roles.get(actor, frozenset()):
            self._find("unauthorised-approver", index,
                       f"{actor} does not hold the sign-off role {statement.role!r}")  # fmt: skip
            return
        if statement.decision is Decision.APPROVE:
            rev.approvals.setdefault(statement.stage, []).append((actor, statement.role))

    def _statement_matches(self, index: int, entry: Entry, s: SignOff) -> bool:
        body = entry.body
        pairs = (
            ("origin", s.origin, entry.origin),
            ("item", s.item, entry.item),
            ("revision", s.revision, entry.revision),
            ("manifest", s.manifest, entry.manifest),
            ("decision", s.decision.value, body.get("decision")),
            ("role", s.role, body.get("role")),
            ("stage", s.stage, body.get("stage")),
            ("signer", s.signer, entry.actor),
        )
        for name, signed, recorded in pairs:
            if signed != recorded:
                self._find(
                    "signoff-mismatch",
                    index,
                    f"the entry records {name} {recorded!r} but the signed statement says "
                    f"{signed!r}: the sign-off was replayed or altered",
                )
                return False
        return True

    # --- publication ----------------------------------------------------------------------
    def _published(self, index: int, entry: Entry) -> None:
        rev = self._revision(entry)
        where = f"{entry.item} revision {entry.revision}"
        if rev is None:
            self._find("publication-unknown-revision", index, f"{where} was never submitted")
            return
        if entry.manifest != rev.manifest:
            self._find(
                "publication-mismatch",
                index,
                f"published manifest {(entry.manifest or 'none')[:12]} is not the approved "
                f"manifest {(rev.manifest or '')[:12]} of {where}",
            )
            return
        if rev.verdict != "clear" or rev.screened_manifest != rev.manifest:
            self._find("publication-unscreened", index,
                       f"{where} was published without a clear screening verdict "
                       f"(latest: {rev.verdict or 'none'})")  # fmt: skip
            return
        chains = self.policies.get(rev.policy or "")
        if chains is None:
            self._find("publication-no-policy", index,
                       f"{where} refers to policy {rev.policy!r}, never loaded in the log")  # fmt: skip
            return
        if rev.level is None or rev.level not in chains:
            self._find("publication-unclassified", index,
                       f"{where} has level {rev.level!r}, with no chain in its policy")  # fmt: skip
            return
        used: set[str] = set()
        for stage in chains[rev.level]:
            got = []
            for actor, role in rev.approvals.get(stage.stage, []):
                if role in stage.roles and actor not in used and actor not in got:
                    got.append(actor)
            if len(got) < stage.quorum:
                self._find(
                    "publication-unapproved",
                    index,
                    f"{where} was published with {len(got)} of {stage.quorum} required "
                    f"approvals at stage {stage.stage!r}",
                )
                return
            used.update(got[: stage.quorum])


_HANDLERS = {
    "user.registered": Workflow._user,
    "user.roles_changed": Workflow._user,
    "key.registered": Workflow._key,
    "key.rotated": Workflow._key,
    "policy.loaded": Workflow._policy,
    "item.submitted": Workflow._submitted,
    "revision.classified": Workflow._classified,
    "revision.screened": Workflow._screened,
    "signoff.decided": Workflow._signoff,
    "publication.published": Workflow._published,
}
