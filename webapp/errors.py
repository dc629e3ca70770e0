"""Every error maps to an HTTP status and a friendly page in this one place, and every coded
core error to a message in the user's language (``ERROR_MESSAGES``, ``user_message``)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from clearance.errors import (
    BadInput,
    ClearanceError,
    ConfigurationError,
    Conflict,
    IllegalTransition,
    NotFound,
    PolicyRefusal,
    VerificationError,
)

log = logging.getLogger("webapp")

#: the core's error codes (``ClearanceError.code``) -> the message shown, with the same
#: ``%(param)s`` names as the error's ``params`` (tests/webapp/test_error_codes.py walks them)
ERROR_MESSAGES: dict[str, LazyString] = {
    "date.unreadable": lazy_gettext(
        "“%(text)s” is not a date; write day/month/year, e.g. 03/12/2026."
    ),
    "date.not_a_day": lazy_gettext(
        "“%(text)s” is not a day of the calendar; write day/month/year (the day first), e.g. "
        "03/12/2026."
    ),
    "unknown_theme": lazy_gettext(
        "The theme “%(theme)s” is not one of the themes of the plan in force; choose themes "
        "from the list."
    ),
    "unknown_language": lazy_gettext(
        "The language “%(language)s” is not accepted by the policy in force; choose a language "
        "from the list."
    ),
    "duplicate_language": lazy_gettext(
        "Two texts of the item are in the language “%(language)s”; keep one version per "
        "language, in a language other than the main text's."
    ),
    "version_incomplete": lazy_gettext(
        "The version in “%(language)s” needs both a title and a body text."
    ),
    "version_file_without_version": lazy_gettext(
        "The file “%(name)s” belongs to the version in “%(language)s”, but the item has no "
        "version in that language; add that version's title and text, or attach the file to "
        "the main text."
    ),
    "version_language_missing": lazy_gettext(
        "Choose the language of the additional version (or leave its title and text empty)."
    ),
    "login.refused": lazy_gettext(
        "The username or password is wrong, or there were too many attempts from here; "
        "check them and try again in a few minutes."
    ),
    "password.wrong_to_sign": lazy_gettext("The password is wrong; enter your own password."),
    "password.current_wrong": lazy_gettext("The current password is wrong; try again."),
    "password.too_short": lazy_gettext(
        "The password is too short (%(length)s characters); use at least %(minimum)s."
    ),
    "user.not_found": lazy_gettext("There is no user %(username)s."),
    "user.lacks_role": lazy_gettext("The user %(username)s does not have the role %(role)s."),
    "user.username_invalid": lazy_gettext(
        "The username %(username)s is not valid; use 2 to 64 lowercase letters, digits, "
        "dots, hyphens or underscores."
    ),
    "user.exists": lazy_gettext("The user %(username)s already exists; choose another username."),
    "roles.signoff_role_invalid": lazy_gettext(
        "The sign-off role %(role)s is not a valid name; use lowercase letters, digits and _."
    ),
    "roles.signoff_needs_approver": lazy_gettext(
        "Sign-off roles can only be given to a user with the approver role."
    ),
    "roles.unknown_signoff_role": lazy_gettext(
        "The sign-off role %(role)s is not in the policy; use one of: %(allowed)s."
    ),
    "roles.unknown": lazy_gettext("The role %(role)s does not exist; use one of: %(allowed)s."),
    "roles.none": lazy_gettext("A user needs at least one role."),
    "roles.unchanged": lazy_gettext(
        "The user %(username)s already has these roles; change something first."
    ),
    "roles.dual_control": lazy_gettext(
        "This installation has %(admins)s administrators, so a role change needs a second "
        "administrator's confirmation: propose it on the Users page and have another "
        "administrator confirm it."
    ),
    "change.not_found": lazy_gettext("There is no proposed change %(change)s."),
    "change.closed": lazy_gettext(
        "The change %(change)s has already been decided; nothing is left to do."
    ),
    "change.own_proposal": lazy_gettext(
        "The administrator who proposed a change cannot confirm it; ask another administrator."
    ),
    "change.own_roles": lazy_gettext(
        "An administrator cannot confirm a change to their own roles; ask another administrator."
    ),
    "change.stale_roles": lazy_gettext(
        "This proposal is stale: the roles of %(username)s changed after it was made; reject it "
        "and propose again."
    ),
    "change.stale_policy": lazy_gettext(
        "This proposal is stale: the policy in force changed after it was made; propose it again."
    ),
    "change.policy_not_here": lazy_gettext(
        "Policy changes cannot be applied here yet; use the command line."
    ),
    "change.reason_required": lazy_gettext("Give a reason to reject the proposed change."),
    "setup.closed": lazy_gettext(
        "The first-run setup is already done (or this installation has more than one "
        "administrator). It cannot be run again: change roles on the Users page, where a second "
        "administrator confirms every change."
    ),
    "setup.unit_twice": lazy_gettext("A unit is listed twice; list each unit once."),
    "setup.roster_empty": lazy_gettext(
        "The roster is empty; add the approvers, an auditor and a second administrator."
    ),
    "setup.roster_too_large": lazy_gettext(
        "The roster has %(count)s people; set up at most %(maximum)s at once."
    ),
    "setup.username_twice": lazy_gettext("A username is listed twice; give each person one."),
    "setup.own_account": lazy_gettext(
        "The setup cannot change your own account; give the roles to other people."
    ),
    "setup.unknown_signoff_role": lazy_gettext(
        "%(username)s: the sign-off role %(role)s is not in the policy; use one of: %(allowed)s."
    ),
    "setup.signoff_needs_approver": lazy_gettext(
        "%(username)s: sign-off roles need the approver role."
    ),
    "setup.approver_needs_signoff_role": lazy_gettext(
        "%(username)s: an approver needs at least one sign-off role."
    ),
    "setup.approver_and_admin": lazy_gettext(
        "%(username)s: one person cannot both grant roles and sign off; give the approver and "
        "the administrator roles to different people."
    ),
    "setup.unit_unknown": lazy_gettext(
        "%(username)s: the unit %(unit)s is not in the list of units."
    ),
    "setup.second_admin_missing": lazy_gettext(
        "The roster needs a second administrator (dual control starts with them)."
    ),
    "item.title_empty": lazy_gettext("The title is empty; give the item a title."),
    "item.title_too_long": lazy_gettext(
        "The title is %(length)s characters long; keep it under %(maximum)s."
    ),
    "item.no_channel": lazy_gettext("Choose at least one publication channel."),
    "item.unknown_channel": lazy_gettext(
        "The channel %(channel)s does not exist; use one of: %(allowed)s."
    ),
    "item.unknown_level": lazy_gettext(
        "The level %(level)s does not exist; use one of: %(allowed)s."
    ),
    "item.empty": lazy_gettext("The item has neither body text nor attachments; add one."),
    "item.too_many_attachments": lazy_gettext(
        "Too many attachments (%(count)s); attach at most %(maximum)s."
    ),
    "item.attachment_named_as_body": lazy_gettext(
        "An attachment is named %(name)s, the name the body text is published under; rename "
        "the attachment."
    ),
    "item.attachment_names_twice": lazy_gettext(
        "Two attachments are named %(name)s; rename one of them."
    ),
    "item.revise_not_author": lazy_gettext(
        "Only the author of the item can submit a new revision of it."
    ),
    "item.not_found": lazy_gettext("There is no item %(item)s."),
    "item.revision_not_found": lazy_gettext("The item %(item)s has no revision %(revision)s."),
    "item.withdraw_reason_required": lazy_gettext("Give a reason to withdraw the item."),
    "item.withdraw_not_permitted": lazy_gettext(
        "Only the author or an administrator can withdraw this item."
    ),
    "item.illegal_transition": lazy_gettext("This cannot be done now: the item is %(state)s."),
    "item.changed": lazy_gettext(
        "The item changed after you opened it (it is now at revision %(revision)s); read the "
        "new revision before deciding. Your decision was not recorded."
    ),
    "item.revision_superseded": lazy_gettext(
        "You were revising revision %(revision)s, but the item is already at revision "
        "%(current)s (sent from another tab or window). Your revision was not sent; open the "
        "item to see its current state."
    ),
    "item.not_awaiting_revision": lazy_gettext(
        "A new revision can only answer a change request, and the item is %(state)s now."
    ),
    "signoff.closed": lazy_gettext(
        "The sign-off of this item is over: it is %(state)s now (another approver decided, or "
        "the author changed it, after you opened it). Your decision was not recorded."
    ),
    "signoff.stage_moved": lazy_gettext(
        "The stage %(stage)s was decided by another approver after you opened the item. Your "
        "decision was not recorded; open the item to see where its sign-off stands."
    ),
    "change.stale_policy_file": lazy_gettext(
        "This proposal is stale: the staged policy file changed after it was proposed; "
        "propose it again."
    ),
    "review.item_changed": lazy_gettext(
        "The item changed while it was being reviewed; run the review again."
    ),
    "decision.unknown": lazy_gettext("Choose one of the decisions offered."),
    "decision.reject_reason_required": lazy_gettext(
        "A rejection needs a reason; write it in the comment."
    ),
    "decision.changes_comment_required": lazy_gettext(
        "A request for changes needs a comment saying what to change."
    ),
    "decision.comment_too_long": lazy_gettext(
        "The comment is %(length)s characters long; keep it under %(maximum)s."
    ),
    "signoff.not_reviewed": lazy_gettext(
        "The item has not been reviewed yet; wait for the pre-check to finish."
    ),
    "signoff.stage_not_yours": lazy_gettext(
        "You cannot sign the stage %(stage)s of this item now; ask an approver who holds a "
        "required role."
    ),
    "signoff.unlogged_grant": lazy_gettext(
        "Your account holds roles that no logged, confirmed change granted, so you cannot sign; "
        "ask an administrator to grant your roles on the Users page."
    ),
    "signoff.own_item": lazy_gettext(
        "You wrote, uploaded or edited this item, so you cannot sign it off."
    ),
    "signoff.already_decided": lazy_gettext("You have already decided on this revision."),
    "signoff.key_not_registered": lazy_gettext(
        "Your signing key is not the one registered in the audit log; enrol your key again on "
        "the Signing key page."
    ),
    "signoff.no_key": lazy_gettext(
        "%(username)s has no signing key yet; enrol one on the Signing key page before signing off."
    ),
    "key.unseal_failed": lazy_gettext(
        "The signing key could not be unlocked: the password is wrong or the stored key was "
        "altered."
    ),
    "key.empty_password": lazy_gettext("Enter a password to protect the signing key."),
    "upload.name_unusable": lazy_gettext(
        "The file name %(name)s is empty or not usable; rename the file."
    ),
    "upload.name_too_long": lazy_gettext(
        "The file name %(name)s… is longer than %(maximum)s characters; rename the file."
    ),
    "upload.empty": lazy_gettext("The file %(name)s is empty; attach the file with its content."),
    # verification errors (a signature, hash, proof or recorded rule does not hold)
    "checkpoint.origin": lazy_gettext(
        "The checkpoint belongs to the log “%(origin)s”, not to this log (“%(want)s”)."
    ),
    "cosignature.other_witness": lazy_gettext("The signature is not by the witness %(witness)s."),
    "cosignature.length": lazy_gettext(
        "The cosignature by %(witness)s has the wrong length (%(length)s bytes instead of "
        "%(want)s)."
    ),
    "cosignature.timestamp": lazy_gettext(
        "The cosignature by %(witness)s has an impossible timestamp."
    ),
    "cosignature.invalid": lazy_gettext(
        "The cosignature by the witness %(witness)s does not verify: the checkpoint or the "
        "cosignature was altered."
    ),
    "note.signature_invalid": lazy_gettext(
        "The signature by the key %(key)s does not verify: the signed note was altered."
    ),
    "note.untrusted": lazy_gettext("The signed note carries no valid signature by a trusted key."),
    "proof.hash_size": lazy_gettext(
        "A hash of the proof (%(name)s) has %(length)s bytes instead of %(want)s."
    ),
    "proof.index_outside": lazy_gettext("Entry %(index)s is outside a log of %(size)s entries."),
    "proof.inclusion_too_long": lazy_gettext(
        "The inclusion proof has too many hashes (%(hashes)s, expected %(want)s)."
    ),
    "proof.inclusion_too_short": lazy_gettext(
        "The inclusion proof has too few hashes (%(hashes)s)."
    ),
    "proof.inclusion_root": lazy_gettext(
        "The inclusion proof of entry %(index)s leads to another root hash than the checkpoint's:"
        " the entry or the proof was altered."
    ),
    "proof.sizes_reversed": lazy_gettext(
        "The newer log size (%(size2)s) is smaller than the older one (%(size1)s)."
    ),
    "proof.not_empty": lazy_gettext(
        "The consistency proof must be empty here but has %(hashes)s hashes."
    ),
    "proof.roots_differ": lazy_gettext(
        "Two checkpoints of the same size %(size)s have different root hashes: the log was forked"
        " or altered."
    ),
    "proof.consistency_empty": lazy_gettext(
        "The consistency proof from size %(size1)s to %(size2)s is empty."
    ),
    "proof.consistency_too_long": lazy_gettext(
        "The consistency proof has too many hashes (%(hashes)s)."
    ),
    "proof.consistency_too_short": lazy_gettext(
        "The consistency proof has too few hashes (%(hashes)s)."
    ),
    "proof.consistency_root": lazy_gettext(
        "The consistency proof gives another root hash at size %(size)s than the checkpoint's: "
        "the log was altered."
    ),
    "receipt.entry_mismatch": lazy_gettext(
        "Entry %(entry)s of the receipt is entry %(seq)s of the log, not entry %(want)s of item "
        "%(item)s."
    ),
    "receipt.no_entry": lazy_gettext("The receipt proves no log entry of item %(item)s."),
    "receipt.quorum": lazy_gettext(
        "The receipt's checkpoint carries %(cosigned)s valid witness cosignatures; the witness "
        "policy needs %(quorum)s."
    ),
    "witness.no_cosignature": lazy_gettext(
        "The answer of the witness %(witness)s carries no cosignature by it."
    ),
    "policy.stored_hash": lazy_gettext(
        "The stored policy %(hash)s no longer matches its hash: the policy table was modified."
    ),
    "publication.live_differs": lazy_gettext(
        "What is live on %(channel)s for item %(item)s differs from what was approved; recall it "
        "and investigate the channel."
    ),
    "report.checkpoint_unsigned": lazy_gettext(
        "The log's checkpoint of size %(size)s is not a valid signed note."
    ),
    "report.entries_altered": lazy_gettext(
        "The log's entries do not match its signed checkpoint of size %(size)s; run the "
        "verification of the whole log to find the altered entry."
    ),
    "report.summary_seal": lazy_gettext(
        "A report summary row just written fails its seal; the report was not used."
    ),
    "grants.entry_hash": lazy_gettext(
        "Audit log entry %(seq)s does not match its recorded hash; run the verification of the "
        "whole log."
    ),
    "grants.entry_unreadable": lazy_gettext("Audit log entry %(seq)s cannot be read."),
    "grants.entry_seq": lazy_gettext("Audit log entry %(seq)s says it is entry %(found)s."),
    "blob.altered": lazy_gettext(
        "A stored file no longer matches its hash: its bytes were changed; it is not served "
        "(restore it from a backup)."
    ),
    "release.unlogged_grant": lazy_gettext(
        "The sign-off of %(username)s on item %(item)s counts on %(found)s, which no logged, "
        "confirmed change granted; the item will not be published until an administrator grants "
        "it through the admin page and the item is signed again."
    ),
    "release.verdict": lazy_gettext(
        "Item %(item)s has the screening verdict “%(verdict)s”; only a clear or reviewed item may"
        " be published."
    ),
    "release.signoffs_missing": lazy_gettext(
        "The recorded sign-offs of item %(item)s do not satisfy policy version %(version)s "
        "(%(missing)s); it will not be published."
    ),
    "release.not_approved": lazy_gettext(
        "The item %(item)s is “%(state)s”, not approved; only approved items are published."
    ),
    "release.channel_not_approved": lazy_gettext(
        "The item %(item)s was not approved for the channel %(channel)s; it is published only "
        "on the channels its approvers signed for."
    ),
    "release.no_manifest": lazy_gettext("Revision %(revision)s has no release manifest."),
    "release.manifest_unreadable": lazy_gettext("The stored release manifest cannot be read."),
    "release.manifest_kind": lazy_gettext("The stored release manifest is not a release manifest."),
    "release.manifest_not_canonical": lazy_gettext(
        "The stored release manifest is not in its canonical form: it was altered."
    ),
    "release.manifest_changed": lazy_gettext(
        "The release manifest no longer matches the hash recorded at review: it was changed after"
        " review."
    ),
    "release.level_unpublishable": lazy_gettext("The level “%(level)s” can never be published."),
    "release.channel_level": lazy_gettext(
        "The channel %(channel)s does not accept the level “%(level)s”."
    ),
    "release.channel_type": lazy_gettext(
        "The channel %(channel)s does not accept files of type %(mime)s."
    ),
    "release.blob_size": lazy_gettext(
        "A stored file has %(size)s bytes, the release manifest says %(want)s."
    ),
}


def _param_labels() -> dict[str, Callable[[str], str]]:
    """Parameters that name a policy or state id are shown by their label, never the id."""
    from webapp import labels
    from webapp.i18n import STATE_LABELS, label

    return {
        "state": lambda v: label(STATE_LABELS, v),
        "role": labels.any_role,
        "stage": labels.stage,
        "channel": labels.channel,
        "level": labels.level,
    }


def user_message(exc: ClearanceError) -> str:
    """What the user reads for ``exc``: its code's message in their language with its
    parameters (ids shown by their labels); an error without a known code keeps its own text
    (the web adapter's own errors are translated where they are raised). A core error whose
    code has no entry is logged, so the gap is found."""
    template = ERROR_MESSAGES.get(exc.code or "")
    if template is None:
        if exc.code:
            log.warning("no message for error code %s", exc.code)
        return exc.message
    shown = _param_labels()
    params = {
        k: shown[k](v) if k in shown and isinstance(v, str) else v for k, v in exc.params.items()
    }
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        log.warning("the message of error code %s does not match its params", exc.code)
        return exc.message


def status_for(exc: ClearanceError) -> int:
    """NotFound 404, BadInput 400, Conflict/IllegalTransition/VerificationError 409,
    PolicyRefusal 403, ConfigurationError (and anything else) 500."""
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, BadInput):
        return 400
    if isinstance(exc, Conflict | IllegalTransition | VerificationError):
        return 409
    if isinstance(exc, PolicyRefusal):
        return 403
    return 500


def titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You are not allowed to do this"),
        404: _("Not found"),
        405: _("This action is not allowed here"),
        409: _("This conflicts with the current state"),
        413: _("The upload is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def default_messages() -> dict[int, str]:
    return {
        400: _("Check the form and try again."),
        403: _("Your account does not have access to this page or item."),
        404: _("The page or item does not exist, or it is not shared with you."),
        405: _("Use the buttons on the page instead."),
        409: _("Reload the page: someone may have changed this in the meantime."),
        413: _("Make the files smaller or send fewer at once."),
        429: _("Wait a few minutes, then try again."),
        500: _("The error was logged. Try again later or contact the administrator."),
    }


def message_of(exc: ClearanceError) -> str:
    """``exc`` as the reader should see it (``user_message``)."""
    return user_message(exc)


def error_page(code: int, message: str | None = None, *, kind: str = "") -> ResponseReturnValue:
    title = titles().get(code, titles()[500])
    text = message or default_messages().get(code, default_messages()[500])
    extra: dict[str, object] = {}
    if code == 409:
        extra = {"back": current_state_link(), "kept": kept_text()}
    page = render_template("error.html", code=code, title=title, message=text, kind=kind, **extra)
    return page, code


#: the free-text fields of the forms that can meet a state conflict: what the user typed is
#: shown back on the 409 page, so a stale form loses nothing
KEPT_FIELDS = ("comment", "reason", "note", "body", "summary")


def _kept_labels() -> dict[str, str]:
    return {
        "comment": _("Your comment"),
        "reason": _("Your reason"),
        "note": _("Your note on the revision"),
        "body": _("Your body text"),
        "summary": _("Your summary"),
    }


def kept_text() -> list[tuple[str, str, str]]:
    """(field, label, text) of the free text the conflicting form carried, in
    ``KEPT_FIELDS`` order."""
    if request.method != "POST":
        return []
    labels = _kept_labels()
    found = ((name, (request.form.get(name) or "").strip()) for name in KEPT_FIELDS)
    return [(name, labels[name], text) for name, text in found if text]


#: blueprint -> the page that shows an item's current state to that blueprint's users
ITEM_PAGES = {"approvals": "approvals.item", "author": "author.item"}
#: blueprint -> its page of current state when no item is named
AREA_PAGES = {"admin": "admin.pending", "setup": "admin.users"}


def current_state_link() -> tuple[str, str]:
    """(href, text) of the page showing the current state of what the request was about: the
    item in the capacity of the page it came from, the pending changes, or the start page."""
    args = request.view_args or {}
    blueprint = request.blueprint or ""
    item_id = args.get("item_id")
    if isinstance(item_id, str):
        endpoint = ITEM_PAGES.get(blueprint, "files.item_link")
        return url_for(endpoint, item_id=item_id), _("Open the item as it is now")
    if blueprint in AREA_PAGES:
        return url_for(AREA_PAGES[blueprint]), _("See the current state")
    return url_for("index"), _("Back to the start page")


def init_app(app: Flask) -> None:
    @app.errorhandler(ClearanceError)
    def _clearance(exc: ClearanceError) -> ResponseReturnValue:
        code = status_for(exc)
        if isinstance(exc, ConfigurationError) or code == 500:
            log.error("configuration error: %s", exc.message)
            return error_page(500)
        return error_page(code, user_message(exc))

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return error_page(
            400,
            _("The form expired or was sent from elsewhere; reload the page and try again."),
            kind="csrf",
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        if code == 401:
            return error_page(403)
        message = exc.description if code in (400, 403, 409) and _is_ours(exc) else None
        return error_page(code if code in titles() else 500, message)


def _is_ours(exc: HTTPException) -> bool:
    """Only messages our views passed to ``abort`` are shown, never Werkzeug's defaults."""
    return bool(exc.description) and exc.description != type(exc).description
