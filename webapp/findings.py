"""Screening findings as sentences a civil servant understands: what was found, where, why it
matters and what to do, with the technical rule id in a code element.

The core keeps rule ids and their parameters; the explanation of each rule is written once, in
``EXPLANATIONS`` (keyed by rule id, translated in the ``.po``). A rule an agency adds to its own
policy and this table does not know yet is explained by its family (the id's prefix), so a
finding is never shown as an English message or a bare id."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup, escape

from clearance.screening.engine import (
    ENGINE_RULES,
    NO_DERIVATIVE_RULE,
    SANITISED_RULE,
    UNINSPECTED_RULE,
)
from clearance.screening.rules import METADATA_SUFFIX, ScreeningRules
from clearance.screening.types import HELD_RULE, REFUSED_RULE
from clearance.services.items import FileTypeNotAccepted
from webapp.context import runtime
from webapp.i18n import label
from webapp.itemview import location_label
from webapp.precheck import HELD, UNREADABLE

_ = lazy_gettext

#: rule id -> what was found, why it matters, what to do
EXPLANATIONS = {
    "marking.tuyet_mat": _(
        "The document carries the state-secret marking TUYỆT MẬT (top secret). A state secret "
        "is never published: do not send it; hand the document to the security officer."
    ),
    "marking.toi_mat": _(
        "The document carries the state-secret marking TỐI MẬT (secret). A state secret is "
        "never published: do not send it; hand the document to the security officer."
    ),
    "marking.mat": _(
        "The document carries the state-secret marking MẬT (confidential). A state secret is "
        "never published: do not send it; hand the document to the security officer."
    ),
    "marking.do_mat_field": _(
        "The document has a 'Độ mật' (classification) field with a secrecy level in it. Only "
        "state-secret documents have one: check the document's origin with the security officer."
    ),
    "marking.thu_hoi": _(
        "The document carries the stamp 'Tài liệu thu hồi' (document to be recalled), used only "
        "on state-secret documents. It cannot be published: ask the security officer."
    ),
    "marking.boc_bi": _(
        "The text carries the envelope stamp 'Chỉ người có tên mới được bóc bì', used only for "
        "state-secret mail. It cannot be published: ask the security officer."
    ),
    "marking.giai_mat": _(
        "The document says it was declassified (giải mật) but no declassification decision "
        "number was found next to it. Add the decision's number, or the approvers will hold it."
    ),
    "marking.en_top_secret": _(
        "The document carries the foreign marking TOP SECRET, handled like TUYỆT MẬT. It is "
        "never published: hand it to the security officer."
    ),
    "marking.en_secret": _(
        "The document carries the foreign marking SECRET, handled like TỐI MẬT. It is never "
        "published: hand it to the security officer."
    ),
    "marking.en_confidential": _(
        "The document carries the foreign marking CONFIDENTIAL, handled like MẬT. It is never "
        "published: hand it to the security officer."
    ),
    "keywords.quoc_phong": _(
        "The text uses a defence or security term (military maps, troop positions, operation "
        "plans, weapons, cipher keys). Such details may be state secrets: check that the "
        "passage can be made public, or remove it."
    ),
    "keywords.noi_bo": _(
        "The text says it is for internal circulation only (for example 'lưu hành nội bộ' or "
        "'dự thảo chưa công bố'). Remove the phrase if the document may really be published, "
        "or do not publish it."
    ),
    "pii.cccd": _(
        "The text contains what looks like a citizen identity card number (CCCD), personal "
        "data protected by Decree 13/2023. Remove or mask the number unless publishing it is "
        "required."
    ),
    "pii.cmnd": _(
        "The text contains what looks like an old identity card number (CMND), personal data "
        "protected by Decree 13/2023. Remove or mask it unless publishing it is required."
    ),
    "pii.phone": _(
        "The text contains a telephone number. A private person's number is personal data: "
        "keep only the agency's official numbers."
    ),
    "pii.plate": _(
        "The text contains what looks like a vehicle registration plate, which can identify a "
        "person. Remove it unless it must be published."
    ),
    "geo.coordinates": _(
        "The text contains map coordinates. A precise location may reveal a person's home or "
        "a protected site: remove the coordinates unless they must be published."
    ),
    "meta.author": _(
        "The file's properties name its author or organisation. They are removed from the "
        "published copy; nothing to do."
    ),
    "meta.gps": _(
        "The file (usually a photo) records the GPS position where it was taken. The position "
        "is removed from the published copy; check that the picture itself shows no protected "
        "place."
    ),
    "meta.comments": _(
        "The file contains reviewers' comments. They are removed from the published copy; "
        "check that the text does not depend on them."
    ),
    "meta.tracked_changes": _(
        "The file contains tracked changes (earlier wording). They are removed from the "
        "published copy; accept or reject them so that the text is final."
    ),
    "meta.hidden_content": _(
        "The file contains hidden text, rows or sheets that a reader does not see. Look at "
        "them before publishing: remove anything that must not be public."
    ),
    "meta.active_content": _(
        "The file contains scripts or automatic actions. They are removed from the published "
        "copy; ask the sender why they were there."
    ),
    "meta.embedded_files": _(
        "The file contains other files inside it. They are screened and left out of the "
        "published copy; attach them separately if they must be published."
    ),
    "meta.revisions": _(
        "The PDF keeps earlier versions of itself, which may hold removed text. The published "
        "copy is rewritten without them; check that nothing removed was sensitive."
    ),
    "meta.external_references": _(
        "The file links to outside addresses. The links are listed for the approvers: check "
        "that each one may be published."
    ),
    "meta.description": _(
        "The file's title, subject or keywords were read and screened like the text. For "
        "information only."
    ),
    REFUSED_RULE: _(
        "This file can never be published (its type or content is refused by the policy). "
        "Remove it from the item, or send the content in another format."
    ),
    HELD_RULE: _(
        "This file could not be inspected completely, so a person must look at it before it "
        "is published. Send it as PDF, DOCX or ODT if you can."
    ),
    NO_DERIVATIVE_RULE: _(
        "No cleaned copy can be made of this file, so it would be published with everything "
        "its original bytes carry. Send the content as PDF, DOCX or ODT instead."
    ),
    UNINSPECTED_RULE: _(
        "A part of this file could not be read. It is left out of the published copy and the "
        "item is held for a person to look at."
    ),
    SANITISED_RULE: _(
        "Something was left out of the published copy because it could not be checked. For "
        "information: check that the published copy is complete."
    ),
    UNREADABLE: _(
        "The file could not be read at all (damaged, encrypted or not what its name says). "
        "Open and save it again, or send another format."
    ),
    HELD: _(
        "The screening could not finish this file, so it is held for a person to look at "
        "before publication."
    ),
    FileTypeNotAccepted.code: _(
        "A chosen channel does not accept this type of file. Send it in an accepted format, or "
        "choose another channel."
    ),
}

#: a family's explanation, for a rule an agency added and ``EXPLANATIONS`` does not know
FAMILIES = {
    "marking.": _(
        "The document carries a security marking of the agency's rules. A marked document may "
        "not be publishable: ask the security officer."
    ),
    "keywords.": _(
        "The text uses a phrase on one of the agency's sensitive-term lists. Check that the "
        "passage can be made public, or remove it."
    ),
    "pii.": _(
        "The text contains what looks like personal data. Remove or mask it unless publishing "
        "it is required."
    ),
    "geo.": _("The text contains location data. Remove it unless it must be published."),
    "meta.": _(
        "The file carries hidden information (properties or content a reader does not see). "
        "It is removed from the published copy where possible; check it."
    ),
    "screening.": _("The screening could not check this file fully: a person must look at it."),
}
#: the other sentences: a rule of no known family, and the metadata variant's addition
SENTENCES = {
    "other": _("The screening noted something the approvers should look at."),
    "metadata": _(
        "It is named in the file's properties or comments, which a reader does not see: "
        "remove it there, or ask the security officer."
    ),
}


#: what a rule looks for, in a few words (the name a marked finding carries in the text), by rule
#: id or by its family (the part before the dot)
RULE_LABELS = {
    "marking": _("Security classification marking"),
    "keywords": _("Sensitive keyword"),
    "pii.cccd": _("Citizen identity card number"),
    "pii.cmnd": _("Identity card number"),
    "pii.phone": _("Phone number"),
    "pii.plate": _("Vehicle number plate"),
    "pii": _("Personal data"),
    "geo.coordinates": _("Geographic coordinates"),
    "geo": _("Location data"),
    "meta": _("Metadata"),
    "": _("Screening finding"),
}


def finding_rule_name(rule: str | None) -> str:
    """What the rule ``rule`` looks for, in the request's language."""
    name = rule or ""
    key = name if name in RULE_LABELS else name.split(".", 1)[0]
    return label(RULE_LABELS, key if key in RULE_LABELS else "")


def explanation(rule: str) -> str:
    """The explanation of ``rule`` in the request's language."""
    base = rule.removesuffix(METADATA_SUFFIX)
    if base in EXPLANATIONS:
        text = label(EXPLANATIONS, base)
        return f"{text} {label(SENTENCES, 'metadata')}" if base != rule else text
    for prefix in FAMILIES:
        if rule.startswith(prefix):
            return label(FAMILIES, prefix)
    return label(SENTENCES, "other")


_PARTS = {
    "body.txt": _("the text"),
    "title": _("Title"),
    "file": _("the whole file"),
    "derivative": _("the published copy"),
    "rendered view": _("the document as displayed"),
    "exif": _("the photo's properties"),
}


def where(finding: Mapping[str, Any]) -> str:
    """Where the finding is (the language version it is in; the title, or the file and part;
    the place inside) in words."""
    pieces: list[str] = []
    if finding.get("title"):
        pieces.append(str(label(_PARTS, "title")))
    for key in ("file", "part"):
        value = str(finding.get(key) or "")
        if value and value not in pieces:
            pieces.append(value)
    shown = [str(label(_PARTS, p)) if p in _PARTS else location_label(p) for p in pieces]
    shown.append(location_label(str(finding.get("location") or "")))
    version = str(finding.get("version") or "")
    if version:  # a language version's text or file (the review and the pre-check say so)
        language = runtime().policy.language_label(version)
        shown.insert(0, gettext("the %(language)s version", language=language))
    return ", ".join(s for s in shown if s)


def finding_sentence(finding: Mapping[str, Any]) -> Markup:
    """The finding as a sentence: the explanation, where, and the rule id in ``<code>``."""
    rule = str(finding.get("rule") or "")
    text = escape(explanation(rule))
    if finding.get("detail"):  # the adapter's own sentence with the finding's parameters
        text = Markup("%s %s") % (text, str(finding["detail"]))
    place = where(finding)
    if place:
        text = Markup("%s %s") % (text, gettext("Where: %(place)s.", place=place))
    return Markup('%s <small class="rule-id"><code>%s</code></small>') % (text, rule)


def emitted_rules(rules: ScreeningRules) -> tuple[str, ...]:
    """Every rule id a finding shown in the webapp can carry: the policy's, the engine's and
    the pre-check's."""
    return (*rules.rule_ids(), *ENGINE_RULES, UNREADABLE, HELD, FileTypeNotAccepted.code)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        finding_sentence=finding_sentence,
        finding_where=where,
        finding_rule_name=finding_rule_name,
    )
