"""What the verifier found: one code, the first bad entry index (when there is one), a sentence
and the params that sentence names.

The code is stable (an adapter says it in its user's language with the params,
``webapp/verifyview.py``); the sentence is the verifier's English technical detail (the offline
CLI prints it). Every code is listed in ``CODES`` with what it means; a finding with another
code is a programming error. A ``Note`` is what the verifier could not check (a witness that
was not reached), coded the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

#: the value types a parameter may have (what a translated sentence can format)
Param = str | int

#: every finding code -> what it means
CODES: dict[str, str] = {
    "entry-malformed": "an entry is not a well-formed canonical leaf",
    "entry-origin": "an entry names another log",
    "entry-seq": "an entry holds another sequence number: entries were deleted or reordered",
    "entry-chain": "an entry does not hash to the one the next entry links",
    "checkpoint-malformed": "a checkpoint file is malformed",
    "checkpoint-signature": "a checkpoint's signature does not verify with the log key",
    "checkpoint-untrusted": "a checkpoint is signed by no trusted key",
    "checkpoint-root": "a checkpoint's root is not the root of the entries",
    "truncated": "a checkpoint covers more entries than the export holds: the tail was cut off",
    "fork": "a checkpoint trusted on its own contradicts the entries: the log was forked",
    "unsigned-tail": "entries after the last signed checkpoint (or none signed at all)",
    "log-key-rotation": "a rotation of the log key does not hold",
    "key-malformed": "a key registration lacks its username or key",
    "bad-key": "a registered approver key is refused or misnamed",
    "policy-malformed": "a logged policy cannot be read",
    "submission-malformed": "a submission entry lacks its item, revision or manifest",
    "submission-version-files": "a submission's language versions do not match its manifest",
    "signoff-malformed": "a sign-off entry's signed statement cannot be read",
    "signoff-mismatch": "a sign-off entry records other values than its signed statement",
    "signoff-signature": "an approver's signature does not verify",
    "signoff-checkpoint": "an approver cites a checkpoint that is not the log's",
    "signoff-unknown-key": "a sign-off by someone with no registered key",
    "signoff-unknown-revision": "a sign-off on a revision that was never submitted",
    "self-approval": "an approver signed off an item they wrote, uploaded or edited",
    "unauthorised-approver": "an approver signed a stage their logged roles do not allow",
    "publication-unknown-revision": "a publication of a revision that was never submitted",
    "publication-unscreened": "a publication without a clear screening verdict",
    "publication-mismatch": "the published manifest is not the screened one",
    "publication-no-policy": "a publication refers to a policy never loaded in the log",
    "publication-unclassified": "a publication of a level with no chain in its policy",
    "publication-unapproved": "a publication whose sign-off chain was not complete",
    "witness-cosignature": "a witness's cosignature does not verify",
    "witness-quorum": "too few witnesses cosigned the latest checkpoint",
    "witness-stale": "the newest cosignature is older than the witness policy allows",
    "witness-ahead": "a witness cosigned a larger tree than the export holds",
    "witness-fork": "a witness cosigned another root for the same size: the log was forked",
}


#: every note code -> what it means (a note is not a failure: something could not be checked)
NOTE_CODES: dict[str, str] = {
    "witness-unreachable": "a witness could not be asked for its checkpoint",
    "witness-no-checkpoint": "a witness has cosigned no checkpoint of this log",
    "witness-answer": "a witness answered with an error",
}


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    index: int | None
    message: str
    #: what the sentence names (hash prefixes, item, revision, signer, size ...), so an adapter
    #: can say it in its language; values are str or int
    params: Mapping[str, Param] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}; add it to findings.CODES")

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "index": self.index,
            "message": self.message,
            "params": dict(self.params),
        }

    def __str__(self) -> str:
        where = f"entry {self.index}: " if self.index is not None else ""
        return f"{where}{self.message} [{self.code}]"


class Note(str):
    """Something the verifier could not check, and why: the English sentence itself (what the
    CLI prints and ``--json`` lists under ``notes``), with a code of ``NOTE_CODES`` and the
    params an adapter needs to say it in its user's language."""

    code: str
    params: dict[str, Param]

    def __new__(cls, code: str, message: str, params: Mapping[str, Param] | None = None) -> Note:
        if code not in NOTE_CODES:
            raise ValueError(f"unknown note code {code!r}; add it to findings.NOTE_CODES")
        note = super().__new__(cls, message)
        note.code = code
        note.params = dict(params or {})
        return note

    def as_dict(self) -> dict[str, object]:
        return {"code": self.code, "message": str(self), "params": dict(self.params)}
