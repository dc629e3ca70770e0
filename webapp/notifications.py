"""In-app notifications: item id, stage and link only (never content)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from webapp.access import signed_in
from webapp.context import me, runtime
from webapp.forms import EmptyForm

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


@bp.get("/")
@signed_in
def index() -> ResponseReturnValue:
    from clearance.notifications import list_for_user

    notes = list_for_user(runtime(), me().username)
    return render_template("notifications/index.html", notes=notes)


@bp.post("/<int:note_id>/read")
@signed_in
def read(note_id: int) -> ResponseReturnValue:
    from clearance.notifications import mark_read

    if EmptyForm().validate_on_submit():
        mark_read(runtime(), me().username, note_id)
    return redirect(url_for("notifications.index"))
