"""The verifier's report as the auditor reads it: each finding from its code and params in the
user's language (what is wrong and where: the entry, the item, the signer, the hashes), with the
verifier's English sentence kept as the technical detail (the offline CLI prints that sentence;
``clearance.auditlog.findings`` lists the codes). The notes (what could not be checked) too."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from markupsafe import Markup, escape

from clearance.auditlog.findings import Finding, Note, Param
from clearance.auditlog.verify import Report
from webapp import labels

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


#: a code -> the sentences that say it with its params, tried in order (the first whose params
#: the finding has); ``%(index)s`` is the finding's entry. A finding without them (or an old
#: one) reads as its code's sentence above.
FINDING_DETAILS: dict[str, tuple[LazyString, ...]] = {
    "entry-malformed": (
        lazy_gettext("Entry %(index)s is damaged: its field %(part)s has a wrong value."),
        lazy_gettext("Entry %(index)s is damaged: %(reason)s."),
    ),
    "policy-malformed": (
        lazy_gettext(
            "Entry %(index)s records the policy %(policy)s, which cannot be read: %(reason)s "
            "(level “%(level)s”)."
        ),
        lazy_gettext(
            "Entry %(index)s records the policy %(policy)s, which cannot be read: %(reason)s."
        ),
        lazy_gettext("Entry %(index)s records a policy that cannot be read: %(reason)s."),
    ),
    "log-key-rotation": (
        lazy_gettext(
            "Entry %(index)s changes the log's signing key from %(old)s to %(new)s, but %(reason)s."
        ),
        lazy_gettext("Entry %(index)s changes the log's signing key, but %(reason)s."),
    ),
    "entry-chain": (
        lazy_gettext(
            "Entry %(index)s was altered: entry %(next)s records that the entry before it hashes "
            "to %(recorded)s…, but entry %(index)s hashes to %(actual)s…."
        ),
    ),
    "entry-seq": (
        lazy_gettext(
            "Line %(index)s of the log holds the entry numbered %(seq)s: entries were deleted, "
            "inserted or reordered."
        ),
    ),
    "entry-origin": (
        lazy_gettext("Entry %(index)s names the log %(origin)s, not this log (%(want)s)."),
    ),
    "checkpoint-malformed": (lazy_gettext("The checkpoint file %(file)s is damaged."),),
    "checkpoint-signature": (
        lazy_gettext(
            "The signature of the checkpoint %(file)s (%(size)s entries) does not verify with "
            "the log's key."
        ),
    ),
    "checkpoint-untrusted": (
        lazy_gettext("The checkpoint %(file)s (%(size)s entries) is signed by no trusted key."),
    ),
    "checkpoint-root": (
        lazy_gettext(
            "The checkpoint %(file)s signs the root %(signed)s… for %(size)s entries, but the "
            "entries hash to %(actual)s…: entries after entry %(index)s were altered."
        ),
    ),
    "fork": (
        lazy_gettext(
            "The trusted checkpoint %(file)s signs the root %(signed)s… for %(size)s entries, "
            "but the entries hash to %(actual)s…: the log was forked after entry %(index)s."
        ),
    ),
    "truncated": (
        lazy_gettext(
            "The checkpoint %(file)s covers %(size)s entries, but the log holds only "
            "%(entries)s: the last entries were removed."
        ),
    ),
    "unsigned-tail": (
        lazy_gettext(
            "The log holds %(held)s entries, but its latest signed checkpoint covers only "
            "%(first)s: the checkpoint of entries %(first)s to %(last)s is missing (it was "
            "deleted), and those entries were not exported."
        ),
        lazy_gettext(
            "Entries %(first)s to %(last)s are not covered by a signed checkpoint: %(reason)s."
        ),
        lazy_gettext("Entries %(first)s to %(last)s are not yet covered by a signed checkpoint."),
        lazy_gettext("The log is not covered by a signed checkpoint: %(reason)s."),
    ),
    "bad-key": (
        lazy_gettext(
            "Entry %(index)s registers a signing key for %(username)s that is refused or "
            "carries another name."
        ),
    ),
    "submission-version-files": (
        lazy_gettext(
            "Entry %(index)s: the files of the language versions of item %(item)s, revision "
            "%(revision)s, do not match its recorded content list."
        ),
    ),
    "signoff-mismatch": (
        lazy_gettext(
            "Entry %(index)s records the sign-off on item %(item)s with %(field)s %(recorded)s, "
            "but the approver signed %(signed)s: the sign-off was replayed or altered."
        ),
        lazy_gettext(
            "Entry %(index)s: the approver signed the content list %(signed)s of item "
            "%(item)s, revision %(revision)s, which the log never recorded for that revision."
        ),
    ),
    "signoff-signature": (
        lazy_gettext(
            "Entry %(index)s: the sign-off by %(signer)s on item %(item)s, revision "
            "%(revision)s (stage %(stage)s) is not signed with their active key."
        ),
    ),
    "signoff-checkpoint": (
        lazy_gettext(
            "Entry %(index)s: the approver cites the state of the log at %(size)s entries, "
            "which is not this log's."
        ),
    ),
    "signoff-unknown-key": (
        lazy_gettext(
            "Entry %(index)s: %(signer)s signed off item %(item)s, revision %(revision)s, "
            "without a registered signing key."
        ),
    ),
    "signoff-unknown-revision": (
        lazy_gettext(
            "Entry %(index)s: %(signer)s signed off item %(item)s, revision %(revision)s, "
            "which was never submitted."
        ),
    ),
    "self-approval": (
        lazy_gettext(
            "Entry %(index)s: %(signer)s signed off item %(item)s, revision %(revision)s, "
            "which they wrote, uploaded or edited."
        ),
    ),
    "unauthorised-approver": (
        lazy_gettext(
            "Entry %(index)s: %(signer)s signed the stage %(stage)s of item %(item)s as "
            "%(role)s, a sign-off role their recorded roles do not include."
        ),
    ),
    "publication-unknown-revision": (
        lazy_gettext(
            "Entry %(index)s: item %(item)s, revision %(revision)s, was published but never "
            "submitted."
        ),
    ),
    "publication-unscreened": (
        lazy_gettext(
            "Entry %(index)s: item %(item)s, revision %(revision)s, was published without a "
            "clear screening result."
        ),
    ),
    "publication-mismatch": (
        lazy_gettext(
            "Entry %(index)s: the published content list %(published)s of item %(item)s, "
            "revision %(revision)s, is not the screened one (%(screened)s)."
        ),
    ),
    "publication-no-policy": (
        lazy_gettext(
            "Entry %(index)s: item %(item)s, revision %(revision)s, refers to the policy "
            "%(policy)s, which was never recorded in the log."
        ),
    ),
    "publication-unclassified": (
        lazy_gettext(
            "Entry %(index)s: item %(item)s, revision %(revision)s, has the level “%(level)s”, "
            "which has no approval chain in its policy."
        ),
    ),
    "publication-unapproved": (
        lazy_gettext(
            "Entry %(index)s: item %(item)s, revision %(revision)s, was published before its "
            "approval chain was complete."
        ),
    ),
    "witness-cosignature": (
        lazy_gettext("The checkpoint of the witness %(witness)s does not verify."),
    ),
    "witness-quorum": (
        lazy_gettext(
            "The latest checkpoint (%(size)s entries) carries %(valid)s valid witness "
            "cosignatures (%(names)s); the witness policy needs %(quorum)s."
        ),
    ),
    "witness-stale": (
        lazy_gettext(
            "The newest witness confirmation is %(age)s seconds old; the witness policy allows "
            "%(max_age)s."
        ),
    ),
    "witness-ahead": (
        lazy_gettext(
            "The witness %(witness)s confirmed %(size)s entries, but the export holds "
            "%(entries)s: entries were removed or the export is stale."
        ),
    ),
    "witness-fork": (
        lazy_gettext(
            "The witness %(witness)s confirmed another root for %(size)s entries than the "
            "export's entries give: the log was forked."
        ),
    ),
}

#: every note code (``clearance.auditlog.findings.NOTE_CODES``) -> what the auditor reads
NOTE_MESSAGES: dict[str, LazyString] = {
    "witness-unreachable": lazy_gettext(
        "The witness %(witness)s could not be asked for its checkpoint."
    ),
    "witness-no-checkpoint": lazy_gettext(
        "The witness %(witness)s has confirmed no checkpoint of this log yet."
    ),
    "witness-answer": lazy_gettext("The witness %(witness)s answered with the error %(status)s."),
}

#: why a finding holds (its ``reason`` param), as the auditor reads it: the entry's
#: (``entry-malformed``), the policy's (``policy-malformed``), the rotation's
#: (``log-key-rotation``) and the checkpoints' (``unsigned-tail``) reasons
REASONS: dict[str, LazyString] = {
    "encoding": lazy_gettext("it is not UTF-8 text"),
    "json": lazy_gettext("it is not a valid JSON object"),
    "float": lazy_gettext("it holds a decimal number, which the log never writes"),
    "keys": lazy_gettext("fields are missing or unexpected"),
    "field": lazy_gettext("a field has a wrong value"),
    "canonical": lazy_gettext("it is not written in the log's exact form, so it was rewritten"),
    "no-hash": lazy_gettext("the entry records no policy hash"),
    "no-document": lazy_gettext("the entry lacks the policy document"),
    "not-canonical": lazy_gettext("the policy document is not in the log's exact form"),
    "hash-mismatch": lazy_gettext("the policy document does not match its recorded hash"),
    "no-chains": lazy_gettext("the entry records no approval chains"),
    "bad-chain": lazy_gettext("an approval chain is malformed"),
    "no-body": lazy_gettext("the entry does not name the keys"),
    "not-current": lazy_gettext("the old key is not the key in force"),
    "not-both": lazy_gettext("the change is not signed by both keys"),
    "other-keys": lazy_gettext("the signed statement names other keys"),
    "invalid": lazy_gettext("it does not verify"),
    "no-checkpoint": lazy_gettext("no checkpoint verifies with the log's key"),
}


def _reason(value: Param) -> object:
    said = REASONS.get(str(value))
    return escape(str(said)) if said is not None else _code(value)


#: the fields of a signed statement a mismatch names, as the auditor reads them
FIELD_NAMES: dict[str, LazyString] = {
    "origin": lazy_gettext("the log"),
    "item": lazy_gettext("the item"),
    "revision": lazy_gettext("the revision"),
    "manifest": lazy_gettext("the content list"),
    "decision": lazy_gettext("the decision"),
    "role": lazy_gettext("the sign-off role"),
    "stage": lazy_gettext("the stage"),
    "signer": lazy_gettext("the signer"),
}


def _code(value: Param) -> Markup:
    return Markup("<code>%s</code>") % value


def _field(value: Param) -> Markup:
    name = FIELD_NAMES.get(str(value))
    return escape(str(name)) if name is not None else _code(value)


_NUMBERS = ("index", "next", "seq", "size", "entries", "first", "last", "held", "valid",
            "quorum", "age", "max_age", "revision", "status")  # fmt: skip

#: how each parameter is shown: policy ids by their labels, counts as numbers, names and
#: hashes in code elements (the default)
_SHOWN: dict[str, Callable[[Param], object]] = {
    "stage": lambda v: labels.stage(str(v)),
    "role": lambda v: labels.any_role(str(v)),
    "level": lambda v: labels.level(str(v)),
    "field": _field,
    "reason": _reason,
    **dict.fromkeys(_NUMBERS, int),
}


def _say(templates: tuple[LazyString, ...], params: Mapping[str, Param]) -> Markup | None:
    try:
        shown = {k: _SHOWN.get(k, _code)(v) for k, v in params.items()}
    except (TypeError, ValueError):  # a param of the wrong type: the code's plain sentence
        return None
    for template in templates:
        try:
            return escape(str(template)) % shown  # the translation escaped, then its params
        except (KeyError, TypeError, ValueError):
            continue
    return None


@dataclass(frozen=True, slots=True)
class ShownFinding:
    code: str
    index: int | None
    text: str  # in the user's language (Markup: params in code elements)
    detail: str  # the verifier's technical sentence (English), shown in a code element


def finding_text(finding: Finding) -> str:
    params = dict(finding.params)
    if finding.index is not None:
        params["index"] = finding.index
    said = _say(FINDING_DETAILS.get(finding.code, ()), params) if finding.params else None
    if said is not None:
        return said
    template = FINDING_MESSAGES.get(finding.code)
    text = str(template) if template is not None else _("The verifier found a problem.")
    if finding.index is None:
        return text
    return str(_("Entry %(index)s: %(text)s", index=finding.index, text=text))


def shown_findings(report: Report) -> list[ShownFinding]:
    return [ShownFinding(f.code, f.index, finding_text(f), f.message) for f in report.findings]


def note_text(note: str) -> str:
    """What could not be checked, in the user's language (a note without a code: as it is)."""
    if isinstance(note, Note) and note.code in NOTE_MESSAGES:
        said = _say((NOTE_MESSAGES[note.code],), note.params)
        if said is not None:
            return said
    return str(_("Something could not be checked."))


def shown_notes(report: Report) -> list[tuple[str, str]]:
    """Each note as (the sentence in the user's language, the verifier's English detail)."""
    return [(note_text(n), str(n)) for n in report.notes]
