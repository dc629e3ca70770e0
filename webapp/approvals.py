"""Approver pages: the queue, the item exactly as it will be published, signed decisions."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from markupsafe import Markup

from clearance.errors import BadInput, Conflict, IllegalTransition, PolicyRefusal
from clearance.readmodels.approver_views import (
    DECISIONS,
    VISIBLE_STATES,
    AllFilter,
    DecidedFilter,
    ItemCursor,
    all_items,
    decided_by_me,
    parse_decision_cursor,
)
from clearance.readmodels.queue import Cursor, QueueFilter, queue
from clearance.services.users import confirm_password
from webapp import itemview, progress
from webapp.access import fresh, item_access, item_head, reader_of, role_required
from webapp.context import me, read_connection, runtime
from webapp.errors import user_message
from webapp.forms import DecisionForm, EnrolKeyForm
from webapp.i18n import language

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


@bp.get("/")
@role_required("approver")
def queue_page() -> ResponseReturnValue:
    args = request.args
    view = args.get("view", "mine")
    after = Cursor.parse(args.get("after"))
    if args.get("after") and after is None:
        abort(400, _("The page link is damaged; go back to the first page of the queue."))
    f = QueueFilter(
        view=view if view in ("mine", "overdue") else "mine",
        level=args.get("level") or None,
        channel=args.get("channel") or None,
        q=(args.get("q") or "").strip()[:200] or None,
        after=after,
    )
    policy = runtime().policy
    rows, next_page = queue(read_connection(), policy=policy, reader=reader_of(me()), f=f)
    return render_template(
        "approvals/queue.html",
        rows=rows,
        item_base=url_for("approvals.item", item_id="_")[:-1],  # built once, not per row
        next_url=queue_page_url(f, next_page.token()) if next_page else None,
        first_url=queue_page_url(f, None) if f.after else None,
        f=f,
        levels=[lv for lv in policy.levels if lv.publishable],
        channels=sorted(policy.channels),
    )


def queue_page_url(f: QueueFilter, after: str | None) -> str:
    """A queue URL with the filters of ``f``: what ``url_for`` builds (same encoding), from
    the queue's path built once per application root."""
    query = [
        (name, value)
        for name, value in (
            ("view", f.view),
            ("level", f.level),
            ("channel", f.channel),
            ("q", f.q),
            ("after", after),
        )
        if value is not None
    ]
    return f"{_queue_base(request.script_root)}?{urlencode(query, safe=URL_SAFE)}"


#: the characters werkzeug leaves unquoted in query strings
URL_SAFE = "!$'()*,/:;?@"


@lru_cache(maxsize=16)
def _queue_base(root: str) -> str:
    del root  # cache key: the URL depends on it
    return url_for("approvals.queue")


# the endpoint name the role home and the navigation use
bp.add_url_rule("/", "queue", queue_page)


def _search_arg() -> str | None:
    return (request.args.get("q") or "").strip()[:200] or None


def _page_url(endpoint: str, **values: str | None) -> str:
    given: dict[str, Any] = {k: v for k, v in values.items() if v}
    return url_for(endpoint, **given)


@bp.get("/decided")
@role_required("approver")
def decided() -> ResponseReturnValue:
    """What I decided, newest first (the core's read model)."""
    args = request.args
    after = parse_decision_cursor(args.get("after"))
    if args.get("after") and after is None:
        abort(400, _("The page link is damaged; go back to the first page of the list."))
    choice = args.get("decision") or None
    f = DecidedFilter(
        decision=choice if choice in DECISIONS else None, q=_search_arg(), after=after
    )
    rows, next_page = decided_by_me(read_connection(), reader=reader_of(me()), f=f)
    filters = {"decision": f.decision, "q": f.q}
    return render_template(
        "approvals/decided.html",
        rows=rows,
        f=f,
        decisions=DECISIONS,
        next_url=_page_url("approvals.decided", **filters, after=str(next_page))
        if next_page
        else None,
        first_url=_page_url("approvals.decided", **filters) if f.after else None,
    )


@bp.get("/all", endpoint="all_items")
@role_required("approver")
def all_items_page() -> ResponseReturnValue:
    """Every item I may see as an approver, most recently changed first, with filters."""
    args = request.args
    after = ItemCursor.parse(args.get("after"))
    if args.get("after") and after is None:
        abort(400, _("The page link is damaged; go back to the first page of the list."))
    policy = runtime().policy
    state = args.get("state") or None
    level = args.get("level") or None
    channel = args.get("channel") or None
    f = AllFilter(
        state=state if state in VISIBLE_STATES else None,
        level=level if level in {lv.name for lv in policy.levels} else None,
        channel=channel if channel in policy.channels else None,
        q=_search_arg(),
        after=after,
    )
    rows, next_page = all_items(read_connection(), policy=policy, reader=reader_of(me()), f=f)
    filters = {"state": f.state, "level": f.level, "channel": f.channel, "q": f.q}
    return render_template(
        "approvals/all.html",
        rows=rows,
        item_base=url_for("approvals.item", item_id="_")[:-1],  # built once, not per row
        f=f,
        states=VISIBLE_STATES,
        levels=list(policy.levels),
        channels=sorted(policy.channels),
        next_url=_page_url("approvals.all_items", **filters, after=next_page.token())
        if next_page
        else None,
        first_url=_page_url("approvals.all_items", **filters) if f.after else None,
    )


@bp.get("/items/<item_id>")
@role_required("approver")
def item(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("approver",))
    return item_page(item_id)


def item_page(
    item_id: str, *, failed: DecisionForm | None = None, failure: str | None = None
) -> str:
    """The item exactly as it will be published, with the decision form: empty, or after a
    decision that was not recorded (``failed``), as the approver filled it (the decision and
    the comment kept, the password not), with why it failed and a link to the key page."""
    head = item_head(item_id)
    assert head is not None  # item_access answered 404 otherwise
    # the current revision and the one before it (for the diff); no history on this page
    detail = itemview.snapshot(item_id, since=head.current_revision - 1, history=False).detail
    rev = itemview.current(detail)
    findings = itemview.findings_of(rev.screening)
    state = progress.signoff(item_id)
    user = me()
    may_sign = bool(
        state
        and detail.summary.state == "awaiting_signoff"
        and state.may_sign(user.id, user.view.signoff_roles, user.view.unit)
    )
    fields = None
    if may_sign:
        fields = decision_fields() if failed is None else filled_decision_fields(failed)
    return render_template(
        "approvals/item.html",
        detail=detail,
        rev=rev,
        findings=findings,
        release_paragraphs=itemview.published_paragraphs(
            itemview.body_text(rev, sanitized=True), findings
        ),
        tags=itemview.tags(rev),
        versions=itemview.versions(rev),
        attachments=itemview.release_attachments(rev),
        decisions=itemview.decisions(item_id, rev.release_manifest_hash),
        signoff=state,
        may_sign=may_sign,
        diff=itemview.revision_diff(detail, rev.number),
        file_changes=itemview.file_changes(detail, rev.number),
        decision_fields=fields,
        failure=failure,
    )


_DECISION_FIELDS: dict[str, Markup] = {}


def decision_fields() -> Markup:
    """The decision form's visible fields, rendered once per language: on the item page they
    never carry data or errors (a failed decision redirects back), so only the CSRF token and
    the manifest hash, written by the page itself, differ between requests."""
    lang = language()
    found = _DECISION_FIELDS.get(lang)
    if found is None:
        form = DecisionForm(formdata=None, meta={"csrf": False})
        found = Markup(render_template("approvals/_decision_fields.html", form=form).strip())  # noqa: S704 - a rendered template
        _DECISION_FIELDS[lang] = found
    return found


def filled_decision_fields(form: DecisionForm) -> Markup:
    """The decision form's visible fields as the approver filled them (never the password)."""
    form.password.data = ""
    return Markup(render_template("approvals/_decision_fields.html", form=form).strip())  # noqa: S704 - a rendered template


@bp.post("/items/<item_id>/decide")
@role_required("approver")
@fresh
def decide(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("approver",))
    form = DecisionForm()
    if not form.validate_on_submit():
        failure = _("Choose a decision and enter your password.")
        return item_page(item_id, failed=form, failure=failure), 422
    from clearance.services.signoff import SeenState
    from clearance.services.signoff import decide as record_decision

    try:
        # the step-up: the signed-in approver's password again (never locked by others'
        # failed logins), then it unlocks the signing key inside the core
        confirm_password(runtime(), me().username, form.password.data or "")
        outcome = record_decision(
            runtime(),
            item_id=item_id,
            approver=me().username,
            password=form.password.data or "",
            decision=form.decision.data or "",
            comment=form.comment.data or None,
            seen=SeenState(form.manifest_hash.data or "", form.stage.data or None),
        )
    except (Conflict, IllegalTransition):
        raise  # the state moved on: the 409 page says what changed and keeps the comment
    except (BadInput, PolicyRefusal) as exc:
        # nothing was recorded: the page again, the decision and the comment as they were
        return item_page(item_id, failed=form, failure=user_message(exc)), 422
    if outcome.publish:
        progress.trigger(item_id, progress.APPROVED)
    flash(_("Your decision was signed and recorded."), "info")
    return redirect(url_for("approvals.item", item_id=item_id))


@bp.get("/items/<item_id>/receipt")
@role_required("approver", "auditor")
def receipt(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("approver", "auditor"))
    from webapp.evidence import receipt_response

    return receipt_response(item_id)


@bp.route("/key", methods=["GET", "POST"])
@role_required("approver")
@fresh
def key() -> ResponseReturnValue:
    """The approver enrols (or replaces) the signing key sealed under their password."""

    from clearance.signing.approver import active_vkey, enroll_approver_key

    rt = runtime()
    user = me()
    form = EnrolKeyForm()
    if form.validate_on_submit():
        password = form.password.data or ""
        try:
            confirm_password(rt, user.username, password)
        except PolicyRefusal as exc:
            flash(user_message(exc), "error")
            return redirect(url_for("approvals.key"))
        now = datetime.now(UTC)
        with rt.uow() as uow:
            _vkey, event = enroll_approver_key(
                uow.session, username=user.username, password=password, now=now
            )
            uow.record(event)
            uow.commit(now=now)
        flash(_("Your signing key was enrolled."), "info")
        return redirect(url_for("approvals.key"))
    with rt.readers() as session:
        current = active_vkey(session, user.username)
    return render_template("approvals/key.html", form=form, vkey=current)
