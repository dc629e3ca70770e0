"""Workflow rules recorded in the log, checked offline (pure).

Event bodies the verifier reads (other fields are allowed and ignored). ``actor``, ``item``,
``revision``, ``manifest`` and ``policy`` are the entry's own fields.

- ``user.registered``: ``{"username": str, "signoff_roles": [str], "unit": str | None, ...}``.
- ``user.roles_changed``: ``{"username": str, "after": {"signoff_roles": [str], ...},
  "unit": str | None, ...}``.
- ``admin.roster_set_up``: ``{"users": [{"username", "roles", "signoff_roles", "unit"}], ...}``:
  the first-run roster, each account granted as by ``user.registered``.
- ``key.registered``: ``{"username": str, "vkey": str}``; the vkey's name is the username and the
  key must be canonical and of prime order, else the entry is a finding.
- ``key.rotated``: ``{"username": str, "old_vkey": str, "new_vkey": str}``.
- ``log.key_rotated``: ``{"old_vkey", "new_vkey", "statement"}``: the statement is a note signed by
  both keys (see ``clearance.auditlog.setup``); checked by the verifier, which then trusts the
  new key for later checkpoints.
- ``policy.loaded``: ``{"policy_hash": str, "signoff_chains": {level: {"chain", "stages": [{"id",
  "when", "rule"}]}}, "document": {...}, ...}`` as ``clearance.policy.policy_event_body`` writes
  it; ``canonical_hash(document)`` must equal ``policy_hash``. Rules are read by
  ``clearance.auditlog.chains`` and walked by ``clearance.approval.walk_chain``.
- ``item.submitted``: entry item, revision, manifest, policy; body ``{"author": str, ...}``
  (defaults to the actor; the author and the submitting actor never approve the revision). A
  revision's submitted manifest is fixed here.
- ``revision.classified``: body ``{"level": str}``; entry policy is the policy hash applied.
- ``revision.screened``: body ``{"verdict": "clear" | "review" | "blocked"}``; the entry's
  manifest is the release manifest (the sanitised bytes) that sign-offs and publication bind.
- ``signoff.decided``: actor = approver; body ``{"decision", "role", "stage", "statement"}``
  where statement is the signed note from ``clearance.auditlog.statement``.
- ``publication.published``: entry item, revision and manifest of the bytes published.
- Other types (``item.withdrawn``, ``revision.approved`` ...) are bound by the hashes only.

Publication rule: the published manifest is the release manifest of the revision's latest
screening, whose verdict is ``clear`` or ``review`` (``review`` adds the ``held_for_review``
stages); under the recorded policy the chain of the revision's level is approved (see
``clearance.auditlog.chains``: every stage met by distinct eligible approvers, none of them the
author, no rejection), each approval signed by the key registered to its approver at that point
by someone who held the role signed under.
"""

from __future__ import annotations

import marshal
import re
import sqlite3
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TypeGuard

from clearance.approval import (
    Chain,
    Decision,
    DecisionKind,
    SignoffState,
    SignoffStatus,
    walk_chain,
)
from clearance.approval import statement as layout
from clearance.auditlog.chains import parse_policy
from clearance.auditlog.entry import AnyEntry, check_time, parse_time
from clearance.auditlog.findings import Finding, Param
from clearance.auditlog.note import Verifier, b64decode_strict, parse_vkey, split
from clearance.auditlog.pointcheck import check_public_key
from clearance.auditlog.statement import parse_statement
from clearance.errors import BadInput

PUBLISHABLE_VERDICTS = ("clear", "review")


#: An approver signature to check, deferred so checks run in parallel: (entry index, public key,
#: message, signature), plain bytes so a batch pickles cheaply.
SignatureJob = tuple[int, bytes, bytes, bytes]


class SignedOff(NamedTuple):
    """What a ``signoff.decided`` entry says, read without any log state (``read_signoff``):
    the statement's fields, the signed message and the note's signature lines."""

    item: str
    revision: int
    manifest: str
    decision: str
    role: str
    stage: str
    signer: str
    time: str
    checkpoint_size: int
    checkpoint_root: bytes
    message: bytes
    signatures: tuple[tuple[str, bytes, bytes], ...]  # (name, key ID, signature) per line


def read_signoff(index: int, entry: AnyEntry) -> SignedOff | Finding:
    """The checks of a sign-off that need no log state (so they can run in a worker process):
    the signed statement is well-formed and says what the entry records."""
    body = entry.body
    note = body.get("statement")
    if not isinstance(note, str):
        return Finding("signoff-malformed", index, "signoff.decided has no signed statement")
    try:
        text, signatures = split(note)
    except BadInput as exc:
        return Finding("signoff-malformed", index, f"sign-off statement is malformed: {exc}")
    sigs = tuple((sig.name, sig.key_id, sig.signature) for sig in signatures)
    read = _statement_of_entry(entry, text, sigs)
    if read is not None:  # what parsing and comparing below would conclude, at a tenth the cost
        return read
    return _read_statement(index, entry, text, sigs)


_CONTROL = re.compile("[\x00-\x1f\x7f]")
_HEX64 = re.compile("[0-9a-f]{64}")
_STATEMENT_TAIL = re.compile("([^\n]*)\ncheckpoint ([0-9]+) ([^\n]*)\n")
_DECISIONS = frozenset(d.value for d in DecisionKind)


def _text_field(value: object) -> TypeGuard[str]:
    """What ``SignOff`` accepts for origin, item, role, stage and signer."""
    return type(value) is str and bool(value) and not _CONTROL.search(value)


def _statement_of_entry(
    entry: AnyEntry, text: str, sigs: tuple[tuple[str, bytes, bytes], ...]
) -> SignedOff | None:
    """The sign-off when ``text`` is the canonical statement of exactly the entry's origin, item,
    revision, manifest, decision, role, stage and signer, with a valid time and checkpoint: then
    ``parse_statement`` accepts it and every field matches, so ``_read_statement`` would return
    the same. None when in any doubt (``_read_statement`` decides)."""
    body = entry.body
    origin, item, signer, revision, manifest = (
        entry.origin, entry.item, entry.actor, entry.revision, entry.manifest,
    )  # fmt: skip
    decision, role, stage = body.get("decision"), body.get("role"), body.get("stage")
    if not (
        _text_field(origin)
        and _text_field(item)
        and _text_field(role)
        and _text_field(stage)
        and _text_field(signer)
    ):
        return None
    if type(revision) is not int or revision < 1:
        return None
    if type(manifest) is not str or not _HEX64.fullmatch(manifest):
        return None
    if type(decision) is not str or decision not in _DECISIONS:
        return None
    fields = {
        "origin": origin, "item": item, "revision": str(revision), "manifest": manifest,
        "decision": decision, "role": role, "stage": stage, "signer": signer,
    }  # fmt: skip
    prefix = layout.prefix(fields, "time")
    if not text.startswith(prefix):
        return None
    tail = _STATEMENT_TAIL.fullmatch(text, len(prefix))
    if tail is None:
        return None
    time, size_text, root_text = tail.groups()
    if str(int(size_text)) != size_text:
        return None
    try:
        check_time(time)  # parse_time's checks, without building the datetime
        root = b64decode_strict(root_text, "sign-off checkpoint root")
    except BadInput:
        return None
    if len(root) != 32:
        return None
    return SignedOff(
        item, revision, manifest, decision, role, stage, signer, time, int(size_text), root,
        text.encode(), sigs,
    )  # fmt: skip


def _read_statement(
    index: int, entry: AnyEntry, text: str, sigs: tuple[tuple[str, bytes, bytes], ...]
) -> SignedOff | Finding:
    """``read_signoff`` by parsing the statement and comparing it field by field."""
    body = entry.body
    try:
        s = parse_statement(text)
    except BadInput as exc:
        return Finding("signoff-malformed", index, f"sign-off statement is malformed: {exc}")
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
            return Finding(
                "signoff-mismatch",
                index,
                f"the entry records {name} {recorded!r} but the signed statement says "
                f"{signed!r}: the sign-off was replayed or altered",
                {
                    "field": name,
                    "recorded": str(recorded)[:64],
                    "signed": str(signed)[:64],
                    "item": str(entry.item),
                },
            )
    return SignedOff(
        s.item, s.revision, s.manifest, s.decision.value, s.role, s.stage, s.signer, s.time,
        s.checkpoint_size, s.checkpoint_root, text.encode(), sigs,
    )  # fmt: skip


def key_problem(vkey: str) -> str | None:
    """Why a registered vkey is refused (malformed, non-canonical, small or mixed order), or
    None. Pure, so a worker process may compute it (the point check is slow in Python)."""
    try:
        check_public_key(parse_vkey(vkey).public_key)
    except BadInput as exc:
        return str(exc)
    return None


@dataclass
class RevisionState:
    author: str | None
    manifest: str | None
    policy: str | None
    excluded: set[str] = field(default_factory=set)
    level: str | None = None
    verdict: str | None = None
    screened_manifest: str | None = None
    manifests: set[str] = field(default_factory=set)
    decisions: list[Decision] = field(default_factory=list)


RevisionKey = tuple[str, int]


def _freeze(rev: RevisionState) -> bytes:
    decisions = tuple(
        (d.approver_id, tuple(sorted(d.roles)), d.unit, d.kind.value, d.manifest_hash, d.stage,
         d.at.isoformat())
        for d in rev.decisions
    )  # fmt: skip
    return marshal.dumps(
        (rev.author, rev.manifest, rev.policy, tuple(sorted(rev.excluded)), rev.level,
         rev.verdict, rev.screened_manifest, tuple(sorted(rev.manifests)), decisions)
    )  # fmt: skip


def _thaw(blob: bytes) -> RevisionState:
    (author, manifest, policy, excluded, level, verdict, screened, manifests, decisions) = (
        marshal.loads(blob)  # noqa: S302 - written by _freeze into this run's own temporary file
    )
    return RevisionState(
        author, manifest, policy, set(excluded), level, verdict, screened, set(manifests),
        [Decision(approver_id=a, roles=frozenset(r), unit=u, kind=DecisionKind(k),
                  manifest_hash=m, stage=st, at=datetime.fromisoformat(t))
         for a, r, u, k, m, st, t in decisions],
    )  # fmt: skip


class Revisions:
    """Revision states by (item, revision number): the ``hot`` most recently used in memory,
    the others in a temporary SQLite file (standard library) that ``close`` deletes, so the
    verifier's memory does not grow with the number of revisions in the log."""

    HOT = 4_096
    _WRITE_BATCH = 1_000

    def __init__(self, hot: int | None = None) -> None:
        self._limit = max(hot if hot is not None else self.HOT, 1)
        self._hot: OrderedDict[RevisionKey, RevisionState] = OrderedDict()
        self._cold: dict[RevisionKey, bytes] = {}  # evicted, not yet written
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._db: sqlite3.Connection | None = None

    def get(self, key: RevisionKey) -> RevisionState | None:
        rev = self._hot.get(key)
        if rev is not None:
            self._hot.move_to_end(key)
            return rev
        blob = self._cold.pop(key, None)
        if blob is None and self._db is not None:
            row = self._db.execute(
                "SELECT state FROM revisions WHERE item = ? AND revision = ?", key
            ).fetchone()
            blob = None if row is None else row[0]
        if blob is None:
            return None
        rev = _thaw(blob)
        self[key] = rev
        return rev

    def __getitem__(self, key: RevisionKey) -> RevisionState:
        rev = self.get(key)
        if rev is None:
            raise KeyError(key)
        return rev

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and self.get(key) is not None

    def __setitem__(self, key: RevisionKey, rev: RevisionState) -> None:
        self._cold.pop(key, None)
        self._hot[key] = rev
        self._hot.move_to_end(key)
        if len(self._hot) > self._limit:
            old, state = self._hot.popitem(last=False)
            self._cold[old] = _freeze(state)
            if len(self._cold) >= self._WRITE_BATCH:
                self._write()

    def _write(self) -> None:
        if self._db is None:
            self._folder = tempfile.TemporaryDirectory(prefix="clearance-verify-")
            self._db = sqlite3.connect(Path(self._folder.name) / "revisions.sqlite")
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute(
                "CREATE TABLE revisions (item TEXT, revision INTEGER, state BLOB, "
                "PRIMARY KEY (item, revision)) WITHOUT ROWID"
            )
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO revisions VALUES (?, ?, ?)",
                [(item, number, blob) for (item, number), blob in self._cold.items()],
            )
        self._cold.clear()

    def close(self) -> None:
        """Delete the temporary file (the states in it are gone)."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def version_files_problem(body: Mapping[str, object], manifest_hash: str) -> str | None:
    """What is wrong with a submission's part -> version links, or None: the manifest in its
    body must hash to the entry's manifest (which the sign-offs bind), and each version's
    ``files`` must be exactly the attachments that manifest gives that version's language."""
    from clearance.domain.manifest import Manifest, PartRole

    text = body.get("manifest")
    if not isinstance(text, str):
        return "the submission states language versions without its manifest"
    try:
        manifest = Manifest.from_json_text(text)
    except BadInput as exc:
        return f"the submission's manifest does not read ({exc})"
    if manifest.hash != manifest_hash:
        return "the submission's manifest does not hash to the entry's manifest"
    stated: dict[str, list[str]] = {}
    for version in body.get("versions") or []:  # type: ignore[attr-defined]
        if not isinstance(version, dict) or not isinstance(version.get("language"), str):
            return "a language version of the submission is malformed"
        files = version.get("files", [])
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            return f"the files of the {version['language']!r} version are malformed"
        stated[version["language"]] = list(files)
    if sorted(stated) != sorted(str(p.language) for p in manifest.versions):
        return "the submission's language versions are not the manifest's"
    for language, files in stated.items():
        if files != [p.name for p in manifest.files_of(language)]:
            return (
                f"the files the submission gives the {language!r} version are not those its "
                "manifest links to that version"
            )
    strays = [p.name for p in manifest.parts
              if p.role is PartRole.ATTACHMENT and p.language and p.language not in stated]  # fmt: skip
    if strays:
        return f"the manifest links {strays[0]!r} to a version the submission does not have"
    return None


class Workflow:
    """Feed entries in order with ``apply``; read ``findings``, ``jobs`` and ``checkpoint_refs``;
    ``close`` when done (the revision states may be in a temporary file)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.jobs: list[SignatureJob] = []
        self.checkpoint_refs: list[tuple[int, int, bytes]] = []
        self.roles: dict[str, frozenset[str]] = {}
        self.units: dict[str, str | None] = {}
        self.keys: dict[str, Verifier] = {}
        self.key_ids: dict[str, bytes] = {}
        self.policies: dict[str, dict[str, Chain]] = {}
        self.revisions = Revisions()
        #: ``key_problem`` of each vkey seen so far (callers may fill it in ahead of time)
        self.key_problems: dict[str, str | None] = {}

    def close(self) -> None:
        self.revisions.close()

    def _find(
        self, code: str, index: int, message: str, params: Mapping[str, Param] | None = None
    ) -> None:
        self.findings.append(Finding(code, index, message, params or {}))

    def apply(self, index: int, entry: AnyEntry) -> None:
        handler = _HANDLERS.get(entry.type)
        if handler is not None:
            handler(self, index, entry)

    # --- users and keys -------------------------------------------------------------------
    def _user(self, index: int, entry: AnyEntry) -> None:
        body = entry.body
        roles = body.get("signoff_roles")
        if entry.type == "user.roles_changed":
            after = body.get("after")
            roles = after.get("signoff_roles") if isinstance(after, dict) else None
        self._grant(body, roles)

    def _grant(self, body: Mapping[str, object], roles: object) -> None:
        name = body.get("username")
        if isinstance(name, str) and isinstance(roles, list):
            self.roles[name] = frozenset(str(r) for r in roles)
        unit = body.get("unit")
        if isinstance(name, str) and (unit is None or isinstance(unit, str)) and "unit" in body:
            self.units[name] = unit or None

    def _roster(self, index: int, entry: AnyEntry) -> None:
        """The first-run roster: every account it registers, as ``user.registered`` would."""
        people = entry.body.get("users")
        for person in people if isinstance(people, list) else []:
            if isinstance(person, dict):
                self._grant(person, person.get("signoff_roles"))

    def _key(self, index: int, entry: AnyEntry) -> None:
        body = entry.body
        name = body.get("username")
        new = body.get("vkey") if entry.type == "key.registered" else body.get("new_vkey")
        if not isinstance(name, str) or not isinstance(new, str):
            self._find("key-malformed", index, f"{entry.type} needs username and vkey strings")
            return
        if new in self.key_problems:
            problem = self.key_problems[new]
        else:
            problem = self.key_problems[new] = key_problem(new)
        if problem is not None:
            self._find(
                "bad-key",
                index,
                f"{entry.type} for {name} registers a refused key: {problem}",
                {"username": name},
            )
            return
        verifier = parse_vkey(new)
        if verifier.name != name:
            self._find(
                "bad-key",
                index,
                f"key named {verifier.name!r} registered for {name!r}",
                {"username": name},
            )
            return
        if entry.type == "key.rotated":
            current = self.keys.get(name)
            if current is None or current.vkey != body.get("old_vkey"):
                self._find(
                    "bad-key",
                    index,
                    f"key.rotated for {name} does not name the active key",
                    {"username": name},
                )
                return
        self.keys[name] = verifier
        self.key_ids[name] = verifier.key_id

    # --- policy and revisions -------------------------------------------------------------
    def _policy(self, index: int, entry: AnyEntry) -> None:
        try:
            policy_hash, chains = parse_policy(entry.body)
        except BadInput as exc:
            recorded = entry.body.get("policy_hash")
            params: dict[str, Param] = {"reason": str(exc.params.get("reason", "invalid"))}
            if isinstance(recorded, str):
                params["policy"] = recorded[:16]
            if "level" in exc.params:
                params["level"] = exc.params["level"]
            self._find("policy-malformed", index, str(exc), params)
            return
        self.policies[policy_hash] = chains

    def _revision(self, entry: AnyEntry) -> RevisionState | None:
        if entry.item is None or entry.revision is None:
            return None
        return self.revisions.get((entry.item, entry.revision))

    def _submitted(self, index: int, entry: AnyEntry) -> None:
        if entry.item is None or entry.revision is None or entry.manifest is None:
            self._find(
                "submission-malformed", index, "item.submitted needs item, revision, manifest"
            )
            return
        author = entry.body.get("author", entry.actor)
        rev = RevisionState(
            author=author if isinstance(author, str) else entry.actor,
            manifest=entry.manifest,
            policy=entry.policy,
        )
        rev.excluded.update(who for who in (rev.author, entry.actor) if who is not None)
        rev.manifests.add(entry.manifest)
        self.revisions[(entry.item, entry.revision)] = rev
        versions = entry.body.get("versions")
        if isinstance(versions, list) and versions:
            problem = version_files_problem(entry.body, entry.manifest)
            if problem is not None:
                self._find(
                    "submission-version-files",
                    index,
                    problem,
                    {"item": entry.item, "revision": entry.revision},
                )

    def _classified(self, index: int, entry: AnyEntry) -> None:
        rev = self._revision(entry)
        level = entry.body.get("level")
        if rev is not None and isinstance(level, str):
            rev.level = level
            rev.policy = entry.policy or rev.policy

    def _screened(self, index: int, entry: AnyEntry) -> None:
        rev = self._revision(entry)
        verdict = entry.body.get("verdict")
        if rev is not None:
            rev.verdict = verdict if isinstance(verdict, str) else None
            rev.screened_manifest = entry.manifest
            if entry.manifest is not None:
                rev.manifests.add(entry.manifest)

    # --- sign-offs ------------------------------------------------------------------------
    def _signoff(self, index: int, entry: AnyEntry) -> None:
        self.signed_off(index, read_signoff(index, entry))

    def signed_off(self, index: int, read: SignedOff | Finding) -> None:
        """Apply a sign-off entry read by ``read_signoff`` (here or in a worker process)."""
        if isinstance(read, Finding):
            self.findings.append(read)
            return
        actor = read.signer
        key = self.keys.get(actor)
        if key is None:
            self._find(
                "signoff-unknown-key",
                index,
                f"{actor} signed off with no registered key",
                {"signer": actor, "item": read.item, "revision": read.revision},
            )
            return
        key_name, key_id = key.name, self.key_ids[actor]
        sig = next(
            (s for name, kid, s in read.signatures if name == key_name and kid == key_id), None
        )
        if sig is None:
            self._find(
                "signoff-signature",
                index,
                f"the statement is not signed by {actor}'s active key",
                {
                    "signer": actor,
                    "item": read.item,
                    "revision": read.revision,
                    "stage": read.stage,
                },
            )
            return
        self.jobs.append((index, key.public_key, read.message, sig))
        if read.checkpoint_size > index:
            self._find(
                "signoff-checkpoint",
                index,
                f"the statement cites checkpoint size {read.checkpoint_size}, "
                f"beyond its own entry {index}",
                {"size": read.checkpoint_size},
            )
            return
        self.checkpoint_refs.append((index, read.checkpoint_size, read.checkpoint_root))
        # read_signoff checked that the statement's item and revision are the entry's
        rev = self.revisions.get((read.item, read.revision))
        if rev is None:
            self._find("signoff-unknown-revision", index,
                       f"sign-off on {read.item} revision {read.revision}, never submitted",
                       {"signer": actor, "item": read.item, "revision": read.revision})  # fmt: skip
            return
        if read.manifest not in rev.manifests:
            self._find(
                "signoff-mismatch",
                index,
                f"sign-off on manifest {read.manifest[:12]}, which the log never recorded "
                f"for revision {read.revision} of {read.item}",
                {
                    "field": "manifest",
                    "signed": read.manifest[:12],
                    "item": read.item,
                    "revision": read.revision,
                },
            )
            return
        if actor in rev.excluded:
            self._find("self-approval", index,
                       f"{actor} signed off on {read.item} revision {read.revision}, "
                       "which they authored",
                       {"signer": actor, "item": read.item, "revision": read.revision})  # fmt: skip
            return
        if read.role not in self.roles.get(actor, frozenset()):
            self._find("unauthorised-approver", index,
                       f"{actor} does not hold the sign-off role {read.role!r}",
                       {"signer": actor, "role": read.role, "stage": read.stage,
                        "item": read.item, "revision": read.revision})  # fmt: skip
            return
        rev.decisions.append(
            Decision(
                approver_id=actor,
                roles=frozenset({read.role}),
                unit=self.units.get(actor),
                kind=DecisionKind(read.decision),
                manifest_hash=read.manifest,
                stage=read.stage,
                at=parse_time(read.time),
            )
        )

    # --- publication ----------------------------------------------------------------------
    def _published(self, index: int, entry: AnyEntry) -> None:
        rev = self._revision(entry)
        where = f"{entry.item} revision {entry.revision}"
        at: dict[str, Param] = {"item": str(entry.item), "revision": entry.revision or 0}
        if rev is None:
            self._find("publication-unknown-revision", index, f"{where} was never submitted", at)
            return
        if rev.screened_manifest is None or rev.verdict not in PUBLISHABLE_VERDICTS:
            self._find("publication-unscreened", index,
                       f"{where} was published without a clear screening verdict "
                       f"(latest: {rev.verdict or 'none'})", at)  # fmt: skip
            return
        if entry.manifest != rev.screened_manifest:
            self._find(
                "publication-mismatch",
                index,
                f"published manifest {(entry.manifest or 'none')[:12]} is not the screened "
                f"manifest {rev.screened_manifest[:12]} of {where}",
                {
                    **at,
                    "published": (entry.manifest or "none")[:12],
                    "screened": rev.screened_manifest[:12],
                },
            )
            return
        chains = self.policies.get(rev.policy or "")
        if chains is None:
            self._find("publication-no-policy", index,
                       f"{where} refers to policy {rev.policy!r}, never loaded in the log",
                       {**at, "policy": (rev.policy or "none")[:16]})  # fmt: skip
            return
        chain = chains.get(rev.level or "")
        if chain is None:
            self._find("publication-unclassified", index,
                       f"{where} has level {rev.level!r}, with no chain in its policy",
                       {**at, "level": rev.level or ""})  # fmt: skip
            return
        outcome = self.signoff_state(rev)
        assert outcome is not None  # policy and chain were found above
        if outcome.status is not SignoffStatus.APPROVED:
            status = outcome.status.value.replace("_", " ")
            missing = "; ".join(outcome.missing) or status
            self._find(
                "publication-unapproved",
                index,
                f"{where} was published but its sign-off chain {chain.name} is "
                f"{status} ({missing})",
                at,
            )

    def signoff_state(self, rev: RevisionState) -> SignoffState | None:
        """The engine's walk of ``rev``'s chain from what the log recorded so far: the screened
        manifest, the signed decisions, the author and submitter excluded; None when the log
        names no loaded policy or no chain for the revision's level."""
        chain = self.policies.get(rev.policy or "", {}).get(rev.level or "")
        if chain is None or rev.screened_manifest is None:
            return None
        return walk_chain(
            chain,
            level=rev.level or "",
            policy_hash=rev.policy or "",
            manifest_hash=rev.screened_manifest,
            decisions=rev.decisions,
            excluded=rev.excluded,
            drafting_unit=self.units.get(rev.author or ""),
            held_for_review=rev.verdict == "review",
        )


_HANDLERS = {
    "user.registered": Workflow._user,
    "user.roles_changed": Workflow._user,
    "admin.roster_set_up": Workflow._roster,
    "key.registered": Workflow._key,
    "key.rotated": Workflow._key,
    "policy.loaded": Workflow._policy,
    "item.submitted": Workflow._submitted,
    "revision.classified": Workflow._classified,
    "revision.screened": Workflow._screened,
    "signoff.decided": Workflow._signoff,
    "publication.published": Workflow._published,
}
