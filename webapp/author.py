"""Author pages: submit (with an optional screening pre-check), my items, item, new revision."""

from __future__ import annotations

import contextlib
import io
from typing import BinaryIO, cast

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from wtforms import HiddenField

from clearance.errors import BadInput, Conflict, IllegalTransition, PolicyRefusal
from clearance.readmodels.decisions import DecisionRecord
from clearance.services import items as item_service
from clearance.services.queries import RevisionView, list_items
from clearance.services.uploads import Upload, safe_filename
from webapp import itemview, precheck, progress, publishing, staging
from webapp.access import item_access, role_required
from webapp.context import me, runtime
from webapp.forms import ReasonForm, SubmissionForm, VersionForm
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


def _row_files(entry: VersionForm) -> list[FileStorage]:
    """The files chosen in a version row of this post."""
    return [f for f in (entry.files.data or []) if f and f.filename]


def _kept(form: SubmissionForm) -> staging.Staged:
    """The files this form kept (its own staging token, never the session's), less those the
    author ticked to remove (the token is sealed again without them)."""
    return _kept_in(form.staged, "remove")


def _rows_kept(form: SubmissionForm) -> list[staging.Staged]:
    """The files each version row kept (the row's own token in this form), less those the
    author ticked to remove in that row."""
    return [_kept_in(row.form.staged, f"{row.name}-remove") for row in form.versions]


def _kept_in(token: HiddenField, remove: str) -> staging.Staged:
    kept = staging.unseal(me().username, token.data)
    removed = set(request.form.getlist(remove))
    if not removed:
        return kept
    return _seal(token, [s for s in kept if s["name"] not in removed])


def _seal(token: HiddenField, staged: staging.Staged) -> staging.Staged:
    token.data = staging.seal(me().username, staged)
    return staged


def _keep(form: SubmissionForm, staged: staging.Staged) -> staging.Staged:
    return _seal(form.staged, staged)


def _stage_posted(
    form: SubmissionForm, kept: staging.Staged, rows: list[staging.Staged]
) -> tuple[staging.Staged, list[staging.Staged]]:
    """Every file this post sent, put in the blob store and into the form's tokens: the main
    files in the form's own, each version row's in that row's (a form that comes back with an
    error, or from the pre-check, still has them; no other form ever sees them)."""
    posted = [*_files(), *(f for row in form.versions for f in _row_files(row.form))]
    for f in posted:  # a submission that failed has read them
        with contextlib.suppress(Exception):
            f.stream.seek(0)
    rt = runtime()
    staged_rows = [
        _seal(row.form.staged, staging.stage(rt, row_kept, _row_files(row.form)))
        for row, row_kept in zip(form.versions, rows, strict=True)
    ]
    return _keep(form, staging.stage(rt, kept, _files())), staged_rows


def _staged_after_failure(
    form: SubmissionForm, kept: staging.Staged, rows: list[staging.Staged]
) -> tuple[staging.Staged, list[staging.Staged]]:
    """What a form that came back with an error keeps: what it had plus what it sent, or
    nothing when its tokens are not valid (forged, expired, someone else's)."""
    if not _valid(form):
        for row in form.versions:
            _seal(row.form.staged, [])
        return _keep(form, []), [[] for _ in form.versions]
    try:
        return _stage_posted(form, kept, rows)
    except BadInput:  # a file the store refuses (too big, too many): what the form had
        return kept, rows


def _uploads(files: list[FileStorage], kept: staging.Staged) -> list[Upload]:
    blobs = runtime().blobs
    uploads = [Upload(f.filename or "", cast(BinaryIO, f.stream)) for f in files]
    fresh = {safe_filename(u.filename) for u in uploads}
    for staged in kept:
        if staged["name"] not in fresh and blobs.exists(staged["sha256"]):
            uploads.append(Upload(staged["name"], io.BufferedReader(blobs.open(staged["sha256"]))))
    return uploads


def _submission(
    form: SubmissionForm,
    files: list[FileStorage],
    kept: staging.Staged,
    rows: list[staging.Staged] | None = None,
) -> item_service.Submission:
    rows = rows if rows is not None else [[] for _ in form.versions]
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
        # each version's files (chosen now or kept by its row) with the language chosen in
        # its row: a file in a row without a version is refused by the core (never dropped,
        # never a stray attachment)
        version_files=[
            (row.form.language.data or "", upload)
            for row, row_kept in zip(form.versions, rows, strict=True)
            for upload in _uploads(_row_files(row.form), row_kept)
        ],
    )


def _close(submission: item_service.Submission) -> None:
    """Close the readers of kept files (the posted files are the request's, closed with it:
    a failed submission stages them again)."""
    posted = {id(f.stream) for _key, files in request.files.lists() for f in files}
    uploads = [*submission.attachments, *(u for _, u in submission.version_files)]
    for upload in uploads:
        if id(upload.stream) not in posted:
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
        return _submit_page(form, [], [])
    kept: staging.Staged = []
    rows: list[staging.Staged] = [[] for _ in form.versions]
    try:
        kept, rows = _kept(form), _rows_kept(form)
        refusal = _unconfigured_chosen()
        if refusal is not None:
            flash(refusal, "error")
            return _submit_page(form, *_staged_after_failure(form, kept, rows)), 400
        if not form.validate_on_submit():
            return _submit_page(form, *_staged_after_failure(form, kept, rows)), 400
        if form.precheck.data:
            kept, rows = _stage_posted(form, kept, rows)
            checked = _submission(form, [], [])
            findings = precheck.run(
                runtime(),
                form.body.data or "",
                kept,
                list(form.channels.data or []),
                checked.versions,
                [
                    (row.form.language.data or "", staged)
                    for row, row_staged in zip(form.versions, rows, strict=True)
                    for staged in row_staged
                ],
            )
            return _submit_page(form, kept, rows, findings=findings)
        submission = _submission(form, _files(), kept, rows)
        try:
            item_id = item_service.submit(runtime(), author=me().username, submission=submission)
        finally:
            _close(submission)
    except (BadInput, PolicyRefusal) as exc:
        flash(publishing.user_message(exc), "error")
        return _submit_page(form, *_staged_after_failure(form, kept, rows)), 400
    progress.trigger(item_id)
    flash(_("The item was submitted for approval."), "info")
    return redirect(url_for("author.item", item_id=item_id))


def _submit_page(
    form: SubmissionForm,
    kept: staging.Staged,
    rows: list[staging.Staged],
    findings: list[dict[str, object]] | None = None,
) -> str:
    return render_template(
        "author/submit.html", form=form, findings=findings, staged=kept, version_staged=rows
    )


def _valid(form: SubmissionForm) -> bool:
    try:
        _kept(form)
        _rows_kept(form)
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
        # the revision's files, each kept where it belongs: the main text's in the form's
        # token, a version's in its row's (never kept as main files of the next revision)
        files = [p for _i, p in itemview.iter_attachments(rev)]
        main = _keep(form, [{"name": p.name, "sha256": p.sha256} for p in files if not p.language])
        own = [
            _seal(
                row.form.staged,
                [
                    {"name": p.name, "sha256": p.sha256}
                    for p in files
                    if p.language and p.language == row.form.language.data
                ],
            )
            for row in form.versions
        ]
        return render_template("author/revise.html", staged=main, version_staged=own, **page)
    kept: staging.Staged = []
    rows: list[staging.Staged] = [[] for _ in form.versions]

    def again(kept: staging.Staged, rows: list[staging.Staged]) -> str:
        return render_template("author/revise.html", staged=kept, version_staged=rows, **page)

    try:
        kept, rows = _kept(form), _rows_kept(form)
        refusal = _unconfigured_chosen()
        if refusal is not None:
            flash(refusal, "error")
            return again(*_staged_after_failure(form, kept, rows)), 400
        if not form.validate_on_submit():
            return again(*_staged_after_failure(form, kept, rows)), 400
        submission = _submission(form, _files(), kept, rows)
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
            _close(submission)
    except (Conflict, IllegalTransition):
        raise  # the item moved on: the 409 page says so and shows the typed text back
    except (BadInput, PolicyRefusal) as exc:
        flash(publishing.user_message(exc), "error")
        return again(*_staged_after_failure(form, kept, rows)), 400
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
