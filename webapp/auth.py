"""Log in (rate-limited per address; the core throttles each address and username pair), log
out and change password (both end the server-side session), role home."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user

from clearance.errors import BadInput, PolicyRefusal
from clearance.services import users as user_service
from clearance.storage.models import User
from webapp.access import signed_in
from webapp.context import me, read_connection, runtime
from webapp.errors import error_page, user_message
from webapp.forms import ChangePasswordForm, EmptyForm, LoginForm
from webapp.security import LoginLimiter, safe_next
from webapp.sessions import renew
from webapp.users import WebUser, load_web_user

bp = Blueprint("auth", __name__, url_prefix="/auth")


def login_refused() -> str:
    """The one message of every failed login (wrong password, unknown user, waiting)."""
    return user_message(user_service.LoginRefused())


login_manager = LoginManager()


def load_user(user_id: str) -> WebUser | None:
    raw_id, _sep, fingerprint = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    from webapp.sessions import session_account

    return load_web_user(read_connection(), int(raw_id), fingerprint, account=session_account())


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Log in to see this page.")
    login_manager.needs_refresh_message = _l("Log in again to confirm it is you.")
    login_manager.refresh_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.user_loader(load_user)


def needs_signing_key() -> bool:
    """Whether the signed-in user signs off but has no signing key registered yet."""
    user = me()
    if not user.has("approver"):
        return False
    from clearance.signing.approver import active_vkey

    with runtime().readers() as db:
        return active_vkey(db, user.username) is None


def to_key_page() -> ResponseReturnValue:
    flash(_("Before your first sign-off, enrol your signing key: it signs your decisions."), "info")
    return redirect(url_for("approvals.key"))


def home() -> ResponseReturnValue:
    """Each role lands on its own first page; an approver without a signing key on the key
    page (no decision can be signed without one)."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    user = me()
    if needs_signing_key():
        return to_key_page()
    for role, endpoint in (
        ("approver", "approvals.queue"),
        ("author", "author.my_items"),
        ("auditor", "audit.log"),
        ("admin", "admin.users"),
    ):
        if user.has(role):
            return redirect(url_for(endpoint))
    return error_page(403)


def _limiter() -> LoginLimiter:
    limiter = current_app.extensions["clearance.login_limiter"]
    assert isinstance(limiter, LoginLimiter)
    return limiter


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next"), "")
    if form.validate_on_submit():
        username = (form.username.data or "").strip().lower()
        address = request.remote_addr or "unknown"
        if not _limiter().allow(address):
            return error_page(429)
        try:
            view = user_service.authenticate(
                runtime(), username, form.password.data or "", address=address
            )
        except user_service.LoginRefused:
            flash(login_refused(), "error")
            return render_template("auth/login.html", form=form), 401
        with runtime().readers() as db:
            user = db.get(User, view.id)
            assert user is not None
            web_user = WebUser.of(user)
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        login_user(web_user, remember=False, fresh=True)
        renew()  # a new session id at login: one planted before login is worthless
        if view.must_change_password:
            flash(_("Choose a new password before you continue."), "info")
            return redirect(url_for("auth.change_password"))
        if needs_signing_key():
            return to_key_page()
        return redirect(safe_next(form.next.data, url_for("index")))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@signed_in
def logout() -> ResponseReturnValue:
    form = EmptyForm()
    if not form.validate_on_submit():
        return error_page(400)
    lang = session.get("lang")
    logout_user()
    session.clear()
    renew()  # the old id's row is deleted: a copied cookie no longer signs anyone in
    if lang:
        session["lang"] = lang
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user_service.change_password(
                runtime(), username=me().username, old=form.old.data or "", new=form.new.data or ""
            )
        except (BadInput, PolicyRefusal) as exc:
            flash(user_message(exc), "error")
            return render_template("auth/password.html", form=form), 400
        with runtime().readers() as db:
            user = db.get(User, me().id)
            assert user is not None
            web_user = WebUser.of(user)
        login_user(web_user, remember=False, fresh=True)
        renew()  # the core ended every session of this user; this browser gets a new one
        flash(_("Your password was changed."), "info")
        return redirect(url_for("index"))
    return render_template("auth/password.html", form=form)
