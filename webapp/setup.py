"""First-run setup pages: the single first administrator fills in the roster, reviews it on a
summary page and confirms it once with their password (clearance.admin.setup does the rest)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer

from clearance.admin import setup as roster_setup
from clearance.errors import BadInput, Conflict, PolicyRefusal
from webapp.access import role_required
from webapp.context import me, runtime
from webapp.errors import user_message
from webapp.forms import SetupConfirmForm, SetupForm

bp = Blueprint("setup", __name__, url_prefix="/admin/setup")
SALT = "clearance.webapp.setup"
PLAN_MAX_AGE_S = 3600


def _closed() -> str:
    return str(
        _(
            "The first-run setup is already done (or this installation has more than one "
            "administrator). It cannot be run again: change roles on the Users page, where a "
            "second administrator confirms every change."
        )
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def _roster(form: SetupForm) -> roster_setup.Roster:
    units = tuple(u.strip() for u in (form.units.data or "").splitlines() if u.strip())
    people = []
    for row in form.people:
        data = row.form
        if not (data.username.data or "").strip():
            continue
        people.append(
            roster_setup.Person(
                username=(data.username.data or "").strip().lower(),
                display_name=(data.display_name.data or "").strip(),
                roles=(data.role.data,),
                signoff_roles=tuple(data.signoff_roles.data or ()),
                unit=(data.unit.data or "").strip() or None,
                email=(data.email.data or "").strip() or None,
            )
        )
    return roster_setup.Roster(units=units, people=tuple(people))


def _seal(roster: roster_setup.Roster) -> str:
    return _serializer().dumps(
        {
            "admin": me().username,
            "units": list(roster.units),
            "people": [
                [p.username, p.display_name, list(p.roles), list(p.signoff_roles), p.unit, p.email]
                for p in roster.people
            ],
        }
    )


def _unseal(token: str) -> roster_setup.Roster:
    try:
        data: dict[str, Any] = _serializer().loads(token, max_age=PLAN_MAX_AGE_S)
    except BadData as exc:
        raise BadInput(_("The reviewed roster expired; fill it in and review it again.")) from exc
    if data.get("admin") != me().username:
        raise BadInput(_("The reviewed roster expired; fill it in and review it again."))
    return roster_setup.Roster(
        units=tuple(data["units"]),
        people=tuple(
            roster_setup.Person(name, shown, tuple(roles), tuple(signoff), unit, email)
            for name, shown, roles, signoff, unit, email in data["people"]
        ),
    )


def _form() -> SetupForm:
    form = SetupForm()
    labels = runtime().policy.signoff_roles  # name -> Vietnamese label
    choices = [(name, labels[name]) for name in sorted(labels)]
    for row in form.people:
        row.form.signoff_roles.choices = choices
    return form


@bp.route("/", methods=["GET", "POST"])
@role_required("admin")
def start() -> ResponseReturnValue:
    if not roster_setup.is_open(runtime()):
        flash(_closed(), "error")
        return redirect(url_for("admin.users"))
    form = _form()
    if form.validate_on_submit():
        roster = _roster(form)
        try:
            roster_setup.plan(runtime(), admin=me().username, roster=roster)
        except (BadInput, PolicyRefusal) as exc:
            flash(user_message(exc), "error")
            return render_template("admin/setup.html", form=form), 400
        confirm = SetupConfirmForm(formdata=None)
        confirm.plan.data = _seal(roster)
        return render_template(
            "admin/setup_review.html",
            roster=roster,
            form=confirm,
            labels=runtime().policy.signoff_roles,
        )
    status = 400 if form.is_submitted() else 200
    return render_template("admin/setup.html", form=form), status


@bp.post("/confirm")
@role_required("admin")
def confirm() -> ResponseReturnValue:
    form = SetupConfirmForm()
    if not form.validate_on_submit():
        flash(_("Enter your password to create the roster."), "error")
        return redirect(url_for("setup.start"))
    roster = roster_setup.Roster(units=(), people=())
    try:
        roster = _unseal(form.plan.data or "")
        created = roster_setup.apply(
            runtime(), admin=me().username, password=form.password.data or "", roster=roster
        )
    except Conflict:
        flash(_closed(), "error")
        return redirect(url_for("admin.users")), 303
    except PolicyRefusal:
        flash(_("The password is wrong; enter your own password to confirm."), "error")
        return render_template(
            "admin/setup_review.html",
            roster=roster,
            form=form,
            labels=runtime().policy.signoff_roles,
        ), 400
    except BadInput as exc:
        flash(user_message(exc), "error")
        return redirect(url_for("setup.start")), 303
    flash(
        _(
            "The roster was created and logged. From now on every role change needs a second "
            "administrator's confirmation."
        ),
        "info",
    )
    return render_template("admin/setup_done.html", created=created)
