"""In-app notifications: the item's title, what happened (in the user's language) and a link.
E-mails (``clearance.notifications``) never carry the title."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext

from clearance.notifications import NotificationKind
from webapp.access import signed_in
from webapp.context import me, runtime
from webapp.forms import EmptyForm


def _(message: str, **variables: object) -> str:
    """``gettext`` typed as ``str`` (babel extracts ``_`` calls)."""
    return str(gettext(message, **variables))


bp = Blueprint("notifications", __name__, url_prefix="/notifications")


def kind_label(kind: NotificationKind) -> str:
    """What a notification says happened, for a civil servant."""
    return {
        NotificationKind.SIGNOFF_REQUESTED: _("Waiting for your sign-off"),
        NotificationKind.REMINDER: _("Reminder: the sign-off deadline is near"),
        NotificationKind.ESCALATION: _("Sign-off overdue"),
        NotificationKind.BLOCKED: _("Blocked by screening"),
        NotificationKind.SECRET_BLOCKED: _(
            "Blocked: screening found a state-secret marking (the security officer is told)"
        ),
        NotificationKind.CHANGES_REQUESTED: _("Changes requested"),
        NotificationKind.REJECTED: _("Rejected"),
        NotificationKind.APPROVED: _("Approved"),
        NotificationKind.PUBLISHED: _("Published"),
        NotificationKind.DRIFTED: _("What is live on a channel differs from what was approved."),
        NotificationKind.PUBLICATION_FAILED: _("Publication on a channel failed"),
    }.get(kind, str(kind))


def stage_label(kind: NotificationKind, stage: str | None) -> str:
    """The stage (or, for a failed publication, the channel) by its policy label."""
    if not stage:
        return ""
    policy = runtime().policy
    if kind is NotificationKind.PUBLICATION_FAILED:
        from webapp.publishing import channel_label

        return channel_label(stage)
    for chain in policy.chains.values():
        for st in chain.stages:
            if st.id == stage:
                return st.label_vi
    return stage


@bp.get("/")
@signed_in
def index() -> ResponseReturnValue:
    from clearance.notifications import list_for_user

    notes = list_for_user(runtime(), me().username)
    return render_template(
        "notifications/index.html",
        notes=notes,
        kind_label=kind_label,
        stage_label=stage_label,
        form=EmptyForm(),
    )


@bp.post("/<int:note_id>/read")
@signed_in
def read(note_id: int) -> ResponseReturnValue:
    from clearance.notifications import mark_read

    if EmptyForm().validate_on_submit():
        mark_read(runtime(), me().username, note_id)
    return redirect(url_for("notifications.index"))


@bp.post("/read-all")
@signed_in
def read_all() -> ResponseReturnValue:
    from clearance.notifications import mark_all_read

    if EmptyForm().validate_on_submit():
        count = mark_all_read(runtime(), me().username)
        flash(_("%(num)s notification(s) marked as read.", num=count), "info")
    return redirect(url_for("notifications.index"))
