"""Author pages: submit (with an optional screening pre-check), my items, item, new revision."""

from __future__ import annotations

import contextlib
from typing import Any, BinaryIO, cast

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from clearance.errors import BadInput, PolicyRefusal
from clearance.services import items as item_service
from clearance.services.queries import list_items
from clearance.services.uploads import Upload, safe_filename
from webapp import itemview, precheck, progress
from webapp.access import item_access, role_required
from webapp.context import me, runtime
from webapp.forms import ReasonForm, SubmissionForm
from webapp.params import MAX_PAGE, int_arg

bp = Blueprint("author", __name__, url_prefix="/author")
STAGED_KEY = "staged_uploads"
MAX_STAGED = 20


def _choices(form: SubmissionForm) -> None:
    policy = runtime().policy
    lang = str(session.get("lang") or "vi")
    form.channels.choices = [
        (name, channel.label_vi if lang == "vi" else name)
        for name, channel in sorted(policy.channels.items())
    ]
    form.declared_level.choices = [
        (level.name, level.label_vi if lang == "vi" else level.label_en) for level in policy.levels
    ]


def _files() -> list[FileStorage]:
    return [f for f in request.files.getlist("attachments") if f and f.filename]


def _staged() -> list[dict[str, str]]:
    value = session.get(STAGED_KEY)
    return list(value) if isinstance(value, list) else []


def _stage(files: list[FileStorage]) -> list[dict[str, str]]:
    """Keep uploads of a pre-check in the blob store so the author need not choose them again."""
    staged = _staged()
    blobs = runtime().blobs
    for f in files:
        name = safe_filename(f.filename or "")
        ref = blobs.put_stream(cast(BinaryIO, f.stream), name=f"the file {name!r}")
        staged = [s for s in staged if s["name"] != name]
        staged.append({"name": name, "sha256": ref.sha256})
    if len(staged) > MAX_STAGED:
        raise BadInput(f"too many files ({len(staged)}); attach at most {MAX_STAGED}")
    session[STAGED_KEY] = staged
    return staged


def _uploads(files: list[FileStorage]) -> list[Upload]:
    blobs = runtime().blobs
    uploads = [Upload(f.filename or "", cast(BinaryIO, f.stream)) for f in files]
    fresh = {safe_filename(u.filename) for u in uploads}
    for staged in _staged():
        if staged["name"] not in fresh and blobs.exists(staged["sha256"]):
            uploads.append(Upload(staged["name"], blobs.open(staged["sha256"])))
    return uploads


def _submission(form: SubmissionForm, files: list[FileStorage]) -> item_service.Submission:
    return item_service.Submission(
        title=form.title.data or "",
        channels=list(form.channels.data or []),
        declared_level=form.declared_level.data or "",
        body_text=form.body.data or None,
        attachments=_uploads(files),
    )


def _close(uploads: list[Upload]) -> None:
    for upload in uploads:
        with contextlib.suppress(Exception):
            upload.stream.close()


@bp.get("/")
@role_required("author")
def my_items() -> ResponseReturnValue:
    page = int_arg("page", default=1, minimum=1, maximum=MAX_PAGE) or 1
    size = 50
    rows = list_items(runtime(), author=me().username, limit=size + 1, offset=(page - 1) * size)
    return render_template(
        "author/items.html", items=rows[:size], page=page, has_next=len(rows) > size
    )


@bp.route("/submit", methods=["GET", "POST"])
@role_required("author")
def submit() -> ResponseReturnValue:
    form = SubmissionForm()
    _choices(form)
    if request.method == "GET":
        session.pop(STAGED_KEY, None)
    findings: list[dict[str, Any]] | None = None
    if form.validate_on_submit():
        files = _files()
        try:
            if form.precheck.data:
                staged = _stage(files)
                findings = precheck.run(
                    runtime(), form.body.data or "", staged, list(form.channels.data or [])
                )
                return render_template(
                    "author/submit.html", form=form, findings=findings, staged=staged
                )
            submission = _submission(form, files)
            try:
                item_id = item_service.submit(
                    runtime(), author=me().username, submission=submission
                )
            finally:
                _close(list(submission.attachments))
        except (BadInput, PolicyRefusal) as exc:
            flash(exc.message, "error")
            return render_template(
                "author/submit.html", form=form, findings=None, staged=_staged()
            ), 400
        session.pop(STAGED_KEY, None)
        progress.trigger(item_id)
        flash(_("The item was submitted for approval."), "info")
        return redirect(url_for("author.item", item_id=item_id))
    if request.method == "POST":
        return render_template(
            "author/submit.html", form=form, findings=None, staged=_staged()
        ), 400
    return render_template("author/submit.html", form=form, findings=findings, staged=[])


@bp.get("/items/<item_id>")
@role_required("author")
def item(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("author",))
    detail = itemview.load(item_id)
    rev = itemview.current(detail)
    findings = itemview.findings_of(rev.screening)
    return render_template(
        "author/item.html",
        detail=detail,
        rev=rev,
        findings=findings,
        segments=itemview.highlight(itemview.body_text(rev), findings),
        decisions=itemview.decisions(item_id, rev.release_manifest_hash),
        signoff=progress.signoff(item_id),
        diff=itemview.revision_diff(detail, rev.number),
        withdraw_form=ReasonForm(),
    )


@bp.route("/items/<item_id>/revise", methods=["GET", "POST"])
@role_required("author")
def revise(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("author",))
    detail = itemview.load(item_id)
    rev = itemview.current(detail)
    if detail.summary.state != "changes_requested":
        abort(409, _("A new revision can only answer a change request."))
    form = SubmissionForm()
    _choices(form)
    if request.method == "GET":
        session[STAGED_KEY] = [
            {"name": p.name, "sha256": p.sha256} for _i, p in itemview.iter_attachments(rev)
        ]
        form.title.data = rev.title
        form.body.data = itemview.body_text(rev)
        form.channels.data = list(rev.channels)
        form.declared_level.data = rev.declared_level
    elif form.validate_on_submit():
        files = _files()
        submission = _submission(form, files)
        try:
            item_service.new_revision(
                runtime(),
                author=me().username,
                item_id=item_id,
                submission=submission,
                note=form.note.data or None,
            )
        except (BadInput, PolicyRefusal) as exc:
            flash(exc.message, "error")
            return render_template(
                "author/revise.html", form=form, detail=detail, rev=rev, staged=_staged()
            ), 400
        finally:
            _close(list(submission.attachments))
        progress.trigger(item_id)
        flash(_("The new revision was submitted."), "info")
        return redirect(url_for("author.item", item_id=item_id))
    else:
        return render_template(
            "author/revise.html", form=form, detail=detail, rev=rev, staged=_staged()
        ), 400
    return render_template(
        "author/revise.html", form=form, detail=detail, rev=rev, staged=_staged()
    )


@bp.post("/items/<item_id>/withdraw")
@role_required("author")
def withdraw(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("author",))
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason to withdraw the item."), "error")
        return redirect(url_for("author.item", item_id=item_id))
    item_service.withdraw(
        runtime(), actor=me().username, item_id=item_id, reason=form.reason.data or ""
    )
    flash(_("The item was withdrawn."), "info")
    return redirect(url_for("author.item", item_id=item_id))
