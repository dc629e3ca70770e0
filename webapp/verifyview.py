"""The verifier's report as the auditor reads it: each finding from its code in the user's
language, with the verifier's English sentence kept as the technical detail (the offline CLI
prints that sentence; ``clearance.auditlog.findings`` lists the codes)."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString

from clearance.auditlog.findings import Finding
from clearance.auditlog.verify import Report

#: every finding code (``clearance.auditlog.findings.CODES``) -> what the auditor reads
FINDING_MESSAGES: dict[str, LazyString] = {
    "entry-malformed": lazy_gettext("A log entry is damaged: it is not a well-formed entry."),
    "entry-origin": lazy_gettext("A log entry names another log than this one."),
    "entry-seq": lazy_gettext(
        "A log entry has the wrong sequence number: entries were deleted or reordered."
    ),
    "entry-chain": lazy_gettext(
        "A log entry does not link to the one before it: an entry was altered."
    ),
    "checkpoint-malformed": lazy_gettext("A signed checkpoint file is damaged."),
    "checkpoint-signature": lazy_gettext(
        "The signature of a checkpoint does not verify with the log's key."
    ),
    "checkpoint-untrusted": lazy_gettext("A checkpoint is signed by no trusted key."),
    "checkpoint-root": lazy_gettext(
        "A signed checkpoint does not match the entries of the log: entries were altered."
    ),
    "truncated": lazy_gettext(
        "A signed checkpoint covers more entries than the log holds: the last entries were removed."
    ),
    "fork": lazy_gettext("A trusted checkpoint contradicts the entries: the log was forked."),
    "unsigned-tail": lazy_gettext(
        "The last entries of the log are not yet covered by a signed checkpoint."
    ),
    "log-key-rotation": lazy_gettext("A change of the log's signing key does not hold."),
    "key-malformed": lazy_gettext("A key registration lacks its user name or its key."),
    "bad-key": lazy_gettext(
        "A registered signing key of an approver is refused or carries another name."
    ),
    "policy-malformed": lazy_gettext("A policy recorded in the log cannot be read."),
    "submission-malformed": lazy_gettext(
        "A submission entry lacks its item, revision or content list."
    ),
    "submission-version-files": lazy_gettext(
        "The files of a submission's language versions do not match its recorded content list."
    ),
    "signoff-malformed": lazy_gettext("The signed statement of a sign-off cannot be read."),
    "signoff-mismatch": lazy_gettext(
        "A sign-off entry records something else than the approver signed."
    ),
    "signoff-signature": lazy_gettext("The signature of an approver does not verify."),
    "signoff-checkpoint": lazy_gettext(
        "An approver cites a state of the log that is not this log's."
    ),
    "signoff-unknown-key": lazy_gettext("Someone signed off without a registered signing key."),
    "signoff-unknown-revision": lazy_gettext(
        "A sign-off concerns a revision that was never submitted."
    ),
    "self-approval": lazy_gettext("An approver signed off an item they wrote, uploaded or edited."),
    "unauthorised-approver": lazy_gettext(
        "An approver signed a stage their recorded roles do not allow."
    ),
    "publication-unknown-revision": lazy_gettext(
        "A publication concerns a revision that was never submitted."
    ),
    "publication-unscreened": lazy_gettext(
        "Something was published without a clear screening result."
    ),
    "publication-mismatch": lazy_gettext("What was published is not what was screened."),
    "publication-no-policy": lazy_gettext(
        "A publication refers to a policy that was never recorded in the log."
    ),
    "publication-unclassified": lazy_gettext(
        "A publication has a level without an approval chain in its policy."
    ),
    "publication-unapproved": lazy_gettext(
        "Something was published before its approval chain was complete."
    ),
    "witness-cosignature": lazy_gettext(
        "The cosignature of an independent witness does not verify."
    ),
    "witness-quorum": lazy_gettext(
        "Too few independent witnesses confirmed the latest checkpoint."
    ),
    "witness-stale": lazy_gettext(
        "The newest witness confirmation is older than the witness policy allows."
    ),
    "witness-ahead": lazy_gettext(
        "A witness confirmed more entries than the export holds: entries were removed."
    ),
    "witness-fork": lazy_gettext(
        "A witness confirmed another version of the log for the same size: the log was forked."
    ),
}


@dataclass(frozen=True, slots=True)
class ShownFinding:
    code: str
    index: int | None
    text: str  # in the user's language
    detail: str  # the verifier's technical sentence (English), shown in a code element


def finding_text(finding: Finding) -> str:
    template = FINDING_MESSAGES.get(finding.code)
    text = str(template) if template is not None else _("The verifier found a problem.")
    if finding.index is None:
        return text
    return str(_("Entry %(index)s: %(text)s", index=finding.index, text=text))


def shown_findings(report: Report) -> list[ShownFinding]:
    return [ShownFinding(f.code, f.index, finding_text(f), f.message) for f in report.findings]
