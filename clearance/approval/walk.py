"""The sign-off engine (stdlib only): which stage is open, who may sign now, what is missing, and whether
a revision is approved, rejected, sent back for changes or still waiting.

Separation of duties is built in, not configurable:

- the author, uploaders and editors of a revision never count as approvers;
- one person counts once per revision (in one slot of one stage);
- any rejection of the current manifest vetoes, whoever recorded it (fail closed); a request for
  changes sends the revision back unless it was rejected;
- decisions on another manifest hash (an earlier revision) are kept, reported ``superseded`` and
  never counted; identical manifest bytes keep their decisions;
- stages run in order: an approval counts only for the stage it names, only once that stage is
  open (the previous one complete) and only if it was made at or after the stage opened.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from clearance.approval.chain import Chain, Stage
from clearance.approval.decision import DecisionKind
from clearance.approval.rules import Eligibility, Rule, Signer, UserId, evaluate


@dataclass(frozen=True, slots=True)
class Decision:
    """A recorded decision, with the approver's sign-off roles and unit when it was made."""

    approver_id: UserId
    roles: frozenset[str]
    unit: str | None
    kind: DecisionKind
    manifest_hash: str
    stage: str
    at: datetime


class SignoffStatus(StrEnum):
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    WAITING = "waiting"


class Standing(StrEnum):
    """What the engine made of one decision."""

    COUNTED = "counted"
    VETO = "veto"
    CHANGES = "changes"
    SUPERSEDED = "superseded"  # made on another manifest hash
    EXCLUDED = "excluded"  # the author, an uploader or an editor
    ALREADY_COUNTED = "already_counted"  # the person counts elsewhere in this revision
    NOT_ELIGIBLE = "not_eligible"  # roles or unit do not fill an open slot
    NOT_OPEN = "not_open"  # the stage was not open (yet) when the decision was made
    UNKNOWN_STAGE = "unknown_stage"  # the stage is not part of this revision's chain
    NOT_NEEDED = "not_needed"  # the stage was already complete


@dataclass(frozen=True, slots=True)
class ReviewedDecision:
    decision: Decision
    standing: Standing
    note: str

    @property
    def superseded(self) -> bool:
        return self.standing is Standing.SUPERSEDED


@dataclass(frozen=True, slots=True)
class StageProgress:
    stage_id: str
    label_vi: str
    complete: bool
    counted: tuple[UserId, ...]
    missing: tuple[str, ...]
    opened_at: datetime | None
    completed_at: datetime | None
    due_at: datetime | None
    #: False while an earlier stage is incomplete (the stage is not open yet)
    opened: bool = True
    #: what ``missing`` says, as data for adapters: (who may fill a slot, how many slots)
    needs: tuple[tuple[Eligibility, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SignoffState:
    """The answer of :func:`signoff_status`; ``may_sign`` is the "who may sign now" predicate."""

    status: SignoffStatus
    level: str
    chain: str
    policy_hash: str
    manifest_hash: str
    stages: tuple[StageProgress, ...]
    open_stage: StageProgress | None
    missing: tuple[str, ...]
    decisions: tuple[ReviewedDecision, ...]
    excluded: frozenset[UserId]
    counted: frozenset[UserId]
    drafting_unit: str | None
    _open_rule: Rule | None = field(default=None, repr=False)
    _open_signers: tuple[Signer, ...] = field(default=(), repr=False)

    @property
    def superseded(self) -> tuple[ReviewedDecision, ...]:
        return tuple(d for d in self.decisions if d.superseded)

    def may_sign(self, user_id: UserId, roles: Iterable[str], unit: str | None) -> bool:
        """True when a decision by this user, now, would fill a missing slot of the open stage."""
        if self.status is not SignoffStatus.WAITING or self._open_rule is None:
            return False
        if user_id in self.excluded or user_id in self.counted:
            return False
        if any(signer.user_id == user_id for signer in self._open_signers):
            return False
        candidate = Signer(user_id, frozenset(roles), unit)
        return _progress(self._open_rule, self._open_signers, candidate, self.drafting_unit)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "level": self.level,
            "chain": self.chain,
            "policy_hash": self.policy_hash,
            "manifest_hash": self.manifest_hash,
            "open_stage": self.open_stage.stage_id if self.open_stage else None,
            "missing": list(self.missing),
            "stages": [
                {
                    "stage": p.stage_id,
                    "complete": p.complete,
                    "counted": [str(user) for user in p.counted],
                    "missing": list(p.missing),
                    "due_at": p.due_at.isoformat() if p.due_at else None,
                }
                for p in self.stages
            ],
        }


def _progress(
    rule: Rule, signers: tuple[Signer, ...], candidate: Signer, drafting_unit: str | None
) -> bool:
    before = evaluate(rule, signers, drafting_unit)
    if before.satisfied:
        return False
    after = evaluate(rule, (*signers, candidate), drafting_unit)
    return after.satisfied or len(after.missing) < len(before.missing)


def _needs(missing: Iterable[Any]) -> tuple[tuple[Eligibility, int], ...]:
    counts: dict[Eligibility, int] = {}
    for slot in missing:
        counts[slot] = counts.get(slot, 0) + 1
    return tuple(counts.items())


def _describe_missing(stage: Stage, missing: Iterable[Any]) -> tuple[str, ...]:
    counts: dict[str, int] = {}
    for slot in missing:
        text = slot.describe()
        counts[text] = counts.get(text, 0) + 1
    return tuple(f"{stage.id}: {n} more from {text}" for text, n in counts.items())


def walk_chain(
    chain: Chain,
    *,
    level: str,
    policy_hash: str,
    manifest_hash: str,
    decisions: Iterable[Decision],
    excluded: Iterable[UserId],
    drafting_unit: str | None = None,
    held_for_review: bool = False,
    submitted_at: datetime | None = None,
) -> SignoffState:
    """Walk ``chain`` (of ``level`` under the policy ``policy_hash``) for the revision whose
    manifest is ``manifest_hash``.

    ``excluded`` are the people who never count (the author, uploaders, editors);
    ``drafting_unit`` is the author's unit (``same_unit`` stages need it; unknown means nobody
    qualifies). ``held_for_review`` adds the stages marked ``when: held_for_review``.
    ``submitted_at`` opens the first stage (deadlines; earlier decisions do not count).
    """
    never = frozenset(excluded)
    ordered = sorted(decisions, key=lambda d: (d.at, str(d.approver_id), d.stage, str(d.kind)))
    reviewed: dict[int, ReviewedDecision] = {}
    current: list[tuple[int, Decision]] = []
    for index, decision in enumerate(ordered):
        if decision.manifest_hash != manifest_hash:
            reviewed[index] = ReviewedDecision(
                decision, Standing.SUPERSEDED, "made on another revision; kept, never counted"
            )
        else:
            current.append((index, decision))
    vetoed = changes = False
    for index, decision in current:
        if decision.kind is DecisionKind.REJECT:
            vetoed = True
            reviewed[index] = ReviewedDecision(decision, Standing.VETO, "a rejection vetoes")
        elif decision.kind is DecisionKind.REQUEST_CHANGES:
            changes = True
            reviewed[index] = ReviewedDecision(decision, Standing.CHANGES, "changes requested")
    approvals = [(i, d) for i, d in current if d.kind.approves]
    stages = [stage for stage in chain.stages if stage.applies(held_for_review=held_for_review)]
    stage_ids = {stage.id for stage in stages}
    for index, decision in approvals:
        if decision.stage not in stage_ids:
            reviewed[index] = ReviewedDecision(
                decision, Standing.UNKNOWN_STAGE, f"stage {decision.stage!r} is not in this chain"
            )
    counted: set[UserId] = set()
    progress: list[StageProgress] = []
    open_rule: Rule | None = None
    open_signers: tuple[Signer, ...] = ()
    opened_at = submitted_at
    previous_complete = True
    for stage in stages:
        signers: tuple[Signer, ...] = ()
        completed_at: datetime | None = None
        for index, decision in approvals:
            if decision.stage != stage.id:
                continue
            standing, note = Standing.COUNTED, f"counts for {stage.id}"
            signer = Signer(decision.approver_id, decision.roles, decision.unit)
            if decision.approver_id in never:
                standing, note = Standing.EXCLUDED, "author, uploader or editor of this revision"
            elif decision.approver_id in counted or any(
                s.user_id == decision.approver_id for s in signers
            ):
                standing, note = Standing.ALREADY_COUNTED, "one person counts once per revision"
            elif not previous_complete or (opened_at is not None and decision.at < opened_at):
                standing, note = Standing.NOT_OPEN, f"stage {stage.id} was not open yet"
            elif completed_at is not None:
                standing, note = Standing.NOT_NEEDED, f"stage {stage.id} was already complete"
            elif not _progress(stage.rule, signers, signer, drafting_unit):
                standing, note = Standing.NOT_ELIGIBLE, "roles or unit fill no missing slot"
            else:
                signers = (*signers, signer)
                if evaluate(stage.rule, signers, drafting_unit).satisfied:
                    completed_at = decision.at
            reviewed[index] = ReviewedDecision(decision, standing, note)
        result = evaluate(stage.rule, signers, drafting_unit)
        complete = previous_complete and result.satisfied
        for index, decision in approvals:  # signers the final matching did not need
            entry = reviewed.get(index)
            if (
                entry is not None
                and decision.stage == stage.id
                and entry.standing is Standing.COUNTED
                and decision.approver_id not in result.counted
            ):
                reviewed[index] = ReviewedDecision(
                    decision, Standing.NOT_NEEDED, "the quorum was met without this approval"
                )
        if complete:
            counted.update(result.counted)
        is_open = previous_complete and not complete
        due = (
            opened_at + timedelta(hours=stage.deadline_hours)
            if previous_complete and opened_at is not None
            else None
        )
        missing = (
            _describe_missing(stage, result.missing)
            if previous_complete
            else (f"{stage.id}: not open yet ({stage.rule.describe()})",)
        )
        progress.append(
            StageProgress(
                stage.id,
                stage.label_vi,
                complete,
                result.counted if previous_complete else (),
                () if complete else missing,
                opened_at if previous_complete else None,
                completed_at if complete else None,
                due,
                opened=previous_complete,
                needs=() if complete or not previous_complete else _needs(result.missing),
            )
        )
        if is_open:
            open_rule, open_signers = stage.rule, signers
            counted.update(s.user_id for s in signers)
        if complete:
            opened_at = completed_at
        previous_complete = complete
    if vetoed:
        status = SignoffStatus.REJECTED
    elif changes:
        status = SignoffStatus.CHANGES_REQUESTED
    elif all(p.complete for p in progress):
        status = SignoffStatus.APPROVED
    else:
        status = SignoffStatus.WAITING
    open_progress = next((p for p in progress if not p.complete), None)
    return SignoffState(
        status=status,
        level=level,
        chain=chain.name,
        policy_hash=policy_hash,
        manifest_hash=manifest_hash,
        stages=tuple(progress),
        open_stage=open_progress if status is SignoffStatus.WAITING else None,
        missing=tuple(m for p in progress for m in p.missing)
        if status is SignoffStatus.WAITING
        else (),
        decisions=tuple(reviewed[i] for i in sorted(reviewed)),
        excluded=never,
        counted=frozenset(counted),
        drafting_unit=drafting_unit,
        _open_rule=open_rule if status is SignoffStatus.WAITING else None,
        _open_signers=open_signers,
    )
