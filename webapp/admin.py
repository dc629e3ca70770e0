"""Admin pages: users, roles and units, approver keys, the policy in force and its history,
and the two-admin confirmation of every role or policy change."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select

from clearance.admin import service as changes
from clearance.admin import setup as roster_setup
from clearance.admin.policy_change import apply_policy, stage_policy
from clearance.domain.roles import Role
from clearance.errors import BadInput, PolicyInvalid, PolicyRefusal
from clearance.services import users as user_service
from clearance.services.grants import Divergence, unlogged_grants
from webapp.access import role_required
from webapp.context import me, runtime
from webapp.errors import user_message
from webapp.forms import ConfirmForm, EmptyForm, NewUserForm, PolicyForm, ReasonForm, RolesForm

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _key_status() -> dict[str, str | None]:
    from clearance.signing.approver import active_vkey

    with runtime().readers() as session:
        return {
            u.username: active_vkey(session, u.username)
            for u in user_service.list_users(runtime())
            if Role.APPROVER.value in u.roles
        }


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> ResponseReturnValue:
    form = NewUserForm()
    password: str | None = None
    if form.validate_on_submit():
        try:
            _view, password = user_service.add_user(
                runtime(),
                actor=me().username,
                username=form.username.data or "",
                display_name=form.display_name.data,
                roles=[Role.AUTHOR.value],
                unit=form.unit.data or None,
                email=form.email.data or None,
            )
        except BadInput as exc:
            flash(user_message(exc), "error")
        else:
            flash(
                _(
                    "The account was created with the author role; other roles need a second administrator."
                ),
                "info",
            )
    return render_template(
        "admin/users.html",
        users=user_service.list_users(runtime()),
        keys=_key_status(),
        unlogged=_unlogged(),
        form=form,
        one_time_password=password,
        admins=sum(
            1
            for u in user_service.list_users(runtime())
            if u.active and Role.ADMIN.value in u.roles
        ),
        setup_open=roster_setup.is_open(runtime()),
    )


def _unlogged() -> list[Divergence]:
    with runtime().readers() as session:
        return unlogged_grants(session)


@bp.route("/users/<username>", methods=["GET", "POST"])
@role_required("admin")
def user(username: str) -> ResponseReturnValue:
    found = next((u for u in user_service.list_users(runtime()) if u.username == username), None)
    if found is None:
        abort(404)
    form = RolesForm()
    form.roles.choices = [(r.value, r.value) for r in Role]
    form.signoff_roles.choices = sorted(runtime().policy.signoff_roles.items())
    if request.method == "GET":
        form.roles.data = sorted(found.roles)
        form.signoff_roles.data = sorted(found.signoff_roles)
        form.unit.data = found.unit or ""
    elif form.validate_on_submit():
        try:
            changes.propose_roles(
                runtime(),
                admin=me().username,
                username=username,
                roles=list(form.roles.data or []),
                signoff_roles=list(form.signoff_roles.data or []),
                unit=form.unit.data,
            )
        except BadInput as exc:
            flash(user_message(exc), "error")
            return render_template("admin/user.html", user=found, form=form), 400
        flash(_("The change was proposed; another administrator must confirm it."), "info")
        return redirect(url_for("admin.pending"))
    return render_template("admin/user.html", user=found, form=form)


@bp.get("/changes")
@role_required("admin")
def pending() -> ResponseReturnValue:
    return render_template(
        "admin/changes.html",
        pending=changes.list_changes(runtime(), status=changes.ChangeStatus.PENDING),
        history=changes.list_changes(runtime()),
        confirm_form=ConfirmForm(),
        reject_form=ReasonForm(),
    )


@bp.post("/changes/<int:change_id>/confirm")
@role_required("admin")
def confirm(change_id: int) -> ResponseReturnValue:
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        changes.confirm(
            runtime(), admin=me().username, change_id=change_id, apply_policy=apply_policy
        )
    except PolicyRefusal as exc:
        if type(exc) is not PolicyRefusal:
            raise
        flash(user_message(exc), "error")
        return redirect(url_for("admin.pending")), 303
    flash(_("The change was confirmed and applied."), "info")
    return redirect(url_for("admin.pending"))


@bp.post("/changes/<int:change_id>/reject")
@role_required("admin")
def reject(change_id: int) -> ResponseReturnValue:
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "error")
        return redirect(url_for("admin.pending"))
    changes.reject(
        runtime(), admin=me().username, change_id=change_id, reason=form.reason.data or ""
    )
    flash(_("The proposal was rejected; nothing was changed."), "info")
    return redirect(url_for("admin.pending"))


@bp.route("/policy", methods=["GET", "POST"])
@role_required("admin")
def policy() -> ResponseReturnValue:
    from clearance.policy.models import PolicyVersion

    form = PolicyForm()
    problems: list[str] = []
    if request.method == "GET":
        form.text.data = runtime().settings.policy_path.read_text(encoding="utf-8")
    elif form.validate_on_submit():
        try:
            proposed, path = stage_policy(runtime(), form.text.data or "")
            if proposed.content_hash == runtime().policy.content_hash:
                raise BadInput(_("This is the policy already in force; change something first."))
            changes.propose_policy(
                runtime(),
                admin=me().username,
                policy_hash=proposed.content_hash,
                summary=form.summary.data or "",
                payload={
                    "path": str(path),
                    "policy_hash": proposed.content_hash,
                    "version": proposed.version,
                },
            )
        except PolicyInvalid as exc:
            problems = [str(p) for p in exc.problems]
        except BadInput as exc:
            flash(user_message(exc), "error")
        else:
            flash(_("The policy was proposed; another administrator must confirm it."), "info")
            return redirect(url_for("admin.pending"))
    with runtime().readers() as session:
        history = list(
            session.scalars(
                select(PolicyVersion).order_by(PolicyVersion.loaded_at.desc()).limit(50)
            )
        )
    status = 400 if problems else 200
    return render_template(
        "admin/policy.html", policy=runtime().policy, history=history, form=form, problems=problems
    ), status


@bp.get("/keys")
@role_required("admin")
def keys() -> ResponseReturnValue:
    return render_template("admin/keys.html", keys=_key_status())


@bp.get("/publications")
@role_required("admin")
def publications() -> ResponseReturnValue:
    """Every channel with what it lacks, and every failed channel publication (retry here)."""
    from webapp import publishing

    return render_template(
        "admin/publications.html",
        channels=publishing.channel_setup(),
        failed=publishing.failed_publications_rows(),
        form=EmptyForm(),
    )


@bp.post("/publications/<item_id>/<channel>/retry")
@role_required("admin")
def retry_publication(item_id: str, channel: str) -> ResponseReturnValue:
    from clearance.errors import ClearanceError
    from clearance.publishing import retry
    from webapp import publishing

    if not EmptyForm().validate_on_submit():
        abort(400)
    if channel not in runtime().policy.channels:
        abort(404)
    try:
        outcome = retry(runtime(), item_id, channel, actor=me().username)
    except PolicyRefusal as exc:
        flash(publishing.user_message(exc), "error")
    except (ClearanceError, OSError):
        flash(
            _("The retry failed again; the reason is shown below."),
            "error",
        )
    else:
        flash(
            _(
                "Published on %(channel)s.",
                channel=publishing.channel_label(outcome.channel),
            ),
            "info",
        )
    return redirect(url_for("admin.publications"))
