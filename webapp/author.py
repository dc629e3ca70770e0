"""Author pages: submit (with an optional screening pre-check), my items, item, new revision."""

from __future__ import annotations

import contextlib
import io
from typing import BinaryIO, cast

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from clearance.errors import BadInput, Conflict, IllegalTransition, PolicyRefusal
from clearance.readmodels.decisions import DecisionRecord
from clearance.services import items as item_service
from clearance.services.queries import RevisionView, list_items
from clearance.services.uploads import Upload, safe_filename
from webapp import itemview, precheck, progress, publishing, staging
from webapp.access import item_access, role_required
from webapp.context import me, runtime
from webapp.forms import ReasonForm, SubmissionForm
from webapp.params import MAX_PAGE, int_arg

#: version rows the form shows at most (the core's limit)
MAX_VERSION_ROWS = item_service.MAX_VERSIONS

bp = Blueprint("author", __name__, url_prefix="/author")


def _choices(form: SubmissionForm) -> None:
    """The channels that can publish (``clearance.publishing.missing_configuration``: the
    others are hidden) and the levels."""
    policy = runtime().policy
    lang = str(session.get("lang") or "vi")
    form.channels.choices = [
        (name, policy.channel(name).label_vi if lang == "vi" else name)
        for name in publishing.available_channels()
    ]
    form.declared_level.choices = [
        (level.name, level.label_vi if lang == "vi" else level.label_en) for level in policy.levels
    ]
    form.themes.choices = [
        (theme.id, theme.label_vi if lang == "vi" else theme.label_en or theme.label_vi)
        for theme in policy.themes.values()
    ]
    languages = [
        (code, language.label_vi if lang == "vi" else language.label_en or language.label_vi)
        for code, language in policy.languages.items()
    ]
    form.language.choices = languages
    for entry in form.versions:
        entry.form.language.choices = [("", _("(no additional version)")), *languages]


def _prefilled(rev: RevisionView | None) -> SubmissionForm:
    """The form on a GET: the policy's default language, or the revision being answered
    (its themes, language and language versions, and one empty version row to add one)."""
    if request.method != "GET":
        return SubmissionForm()
    if rev is None:
        return SubmissionForm(language=runtime().policy.default_language)
    versions = [
        {"language": v.language, "title": v.title, "body": v.text}
        for v in itemview.versions(rev, sanitized=False)
    ]
    return SubmissionForm(
        data={
            "title": rev.title,
            "body": itemview.body_text(rev),
            "channels": list(rev.channels),
            "declared_level": rev.declared_level,
            "themes": list(rev.themes),
            "language": rev.language or runtime().policy.default_language,
            "versions": [*versions, {}][:MAX_VERSION_ROWS],
        }
    )


def _unconfigured_chosen() -> str | None:
    """The refusal (in the user's language) when the posted form names a channel that cannot
    publish: such channels are not offered, so only a hand-made request gets here."""
    from clearance.publishing import UnconfiguredChannelChosen
    from clearance.services.channels import require_configured

    policy = runtime().policy
    try:
        require_configured(
            runtime(), [c for c in request.form.getlist("channels") if c in policy.channels]
        )
    except UnconfiguredChannelChosen as exc:
        return publishing.user_message(exc)
    return None


def _files() -> list[FileStorage]:
    return [f for f in request.files.getlist("attachments") if f and f.filename]


def _kept(form: SubmissionForm) -> staging.Staged:
    """The files this form kept (its own staging token, never the session's), less those the
    author ticked to remove (the token is sealed again without them)."""
    kept = staging.unseal(me().username, form.staged.data)
    removed = set(request.form.getlist("remove"))
    if not removed:
        return kept
    return _keep(form, [s for s in kept if s["name"] not in removed])


def _keep(form: SubmissionForm, staged: staging.Staged) -> staging.Staged:
    form.staged.data = staging.seal(me().username, staged)
    return staged


def _uploads(files: list[FileStorage], kept: staging.Staged) -> list[Upload]:
    blobs = runtime().blobs
    uploads = [Upload(f.filename or "", cast(BinaryIO, f.stream)) for f in files]
    fresh = {safe_filename(u.filename) for u in uploads}
    for staged in kept:
        if staged["name"] not in fresh and blobs.exists(staged["sha256"]):
            uploads.append(Upload(staged["name"], io.BufferedReader(blobs.open(staged["sha256"]))))
    return uploads


def _submission(
    form: SubmissionForm, files: list[FileStorage], kept: staging.Staged
) -> item_service.Submission:
    return item_service.Submission(
        title=form.title.data or "",
        channels=list(form.channels.data or []),
        declared_level=form.declared_level.data or "",
        body_text=form.body.data or None,
        attachments=_uploads(files, kept),
        themes=list(form.themes.data or []),
        language=form.language.data or None,
        versions=[
            item_service.LanguageVersion(
                language=entry.language.data or "",
                title=entry.title.data or "",
                body_text=entry.body.data or "",
            )
            for entry in (row.form for row in form.versions)
            if (entry.language.data or entry.title.data or (entry.body.data or "").strip())
        ],
        # each version's files with the language chosen in its row: a file in a row without
        # a version is refused by the core (never dropped, never a stray attachment)
        version_files=[
            (entry.language.data or "", Upload(f.filename or "", cast(BinaryIO, f.stream)))
            for entry in (row.form for row in form.versions)
            for f in (entry.files.data or [])
            if f and f.filename
        ],
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
    q = (request.args.get("q") or "").strip()[:200] or None
    rows = list_items(
        runtime(), author=me().username, q=q, limit=size + 1, offset=(page - 1) * size
    )
    return render_template(
        "author/items.html", items=rows[:size], page=page, has_next=len(rows) > size, q=q
    )


@bp.route("/submit", methods=["GET", "POST"])
@role_required("author")
def submit() -> ResponseReturnValue:
    form = _prefilled(None)
    _choices(form)
    if request.method == "GET":
        _keep(form, [])
        return render_template("author/submit.html", form=form, findings=None, staged=[])
    kept: staging.Staged = []
    try:
        kept = _kept(form)
        refusal = _unconfigured_chosen()
        if refusal is not None:
            flash(refusal, "error")
            return render_template("author/submit.html", form=form, findings=None, staged=kept), 400
        if not form.validate_on_submit():
            return render_template("author/submit.html", form=form, findings=None, staged=kept), 400
        files = _files()
        if form.precheck.data:
            kept = _keep(form, staging.stage(runtime(), kept, files))
            findings = precheck.run(
                runtime(),
                form.body.data or "",
                kept,
                list(form.channels.data or []),
                _submission(form, [], []).versions,
            )
            return render_template("author/submit.html", form=form, findings=findings, staged=kept)
        submission = _submission(form, files, kept)
        try:
            item_id = item_service.submit(runtime(), author=me().username, submission=submission)
        finally:
            _close([*submission.attachments, *(u for _, u in submission.version_files)])
    except (BadInput, PolicyRefusal) as exc:
        flash(publishing.user_message(exc), "error")
        if form.staged.data and not _valid(form):
            _keep(form, kept := [])
        return render_template("author/submit.html", form=form, findings=None, staged=kept), 400
    progress.trigger(item_id)
    flash(_("The item was submitted for approval."), "info")
    return redirect(url_for("author.item", item_id=item_id))


def _valid(form: SubmissionForm) -> bool:
    try:
        _kept(form)
    except BadInput:
        return False
    return True


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
        paragraphs=itemview.published_paragraphs(itemview.body_text(rev), findings),
        tags=itemview.tags(rev),
        versions=itemview.versions(rev),
        decisions=itemview.decisions(item_id, rev.release_manifest_hash),
        signoff=progress.signoff(item_id),
        diff=itemview.revision_diff(detail, rev.number),
        file_changes=itemview.file_changes(detail, rev.number),
        withdraw_form=ReasonForm(),
    )


@bp.route("/items/<item_id>/revise", methods=["GET", "POST"])
@role_required("author")
def revise(item_id: str) -> ResponseReturnValue:
    item_access(item_id, allow=("author",))
    detail = itemview.load(item_id)
    rev = itemview.current(detail)
    if request.method == "GET" and detail.summary.state != "changes_requested":
        raise IllegalTransition(
            f"a new revision can only answer a change request; item {item_id} is "
            f"{detail.summary.state}",
            code="item.not_awaiting_revision",
            params={"item": item_id, "state": detail.summary.state},
        )
    form = _prefilled(rev)
    _choices(form)
    page = {
        "form": form,
        "detail": detail,
        "rev": rev,
        "requests": change_requests(item_id, rev.number),
    }
    if request.method == "GET":
        form.answers.data = str(rev.number)
        # the main text's files (a version's files carry its language, which the kept list
        # does not: they are chosen again in the version's row, never kept as main files)
        kept = _keep(
            form,
            [
                {"name": p.name, "sha256": p.sha256}
                for _i, p in itemview.iter_attachments(rev)
                if not p.language
            ],
        )
        return render_template("author/revise.html", staged=kept, **page)
    kept = []
    try:
        kept = _kept(form)
        refusal = _unconfigured_chosen()
        if refusal is not None:
            flash(refusal, "error")
            return render_template("author/revise.html", staged=kept, **page), 400
        if not form.validate_on_submit():
            return render_template("author/revise.html", staged=kept, **page), 400
        submission = _submission(form, _files(), kept)
        try:
            item_service.new_revision(
                runtime(),
                author=me().username,
                item_id=item_id,
                submission=submission,
                note=form.note.data or None,
                answers=_answers(form),
            )
        finally:
            _close([*submission.attachments, *(u for _, u in submission.version_files)])
    except (Conflict, IllegalTransition):
        raise  # the item moved on: the 409 page says so and shows the typed text back
    except (BadInput, PolicyRefusal) as exc:
        flash(publishing.user_message(exc), "error")
        if form.staged.data and not _valid(form):
            _keep(form, kept := [])
        return render_template("author/revise.html", staged=kept, **page), 400
    progress.trigger(item_id)
    flash(_("The new revision was submitted."), "info")
    return redirect(url_for("author.item", item_id=item_id))


def _answers(form: SubmissionForm) -> int | None:
    """The revision the form was opened on (None when the form does not say)."""
    raw = (form.answers.data or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() else None


def change_requests(item_id: str, number: int) -> list[DecisionRecord]:
    """The approvers' requests for changes on revision ``number``: what the revision answers."""
    return [
        d
        for d in itemview.decision_records(item_id)
        if d.revision == number and d.decision == "request_changes"
    ]


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
