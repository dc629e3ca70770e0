"""Files a pre-check kept, carried by the form that staged them (never by the session).

Each submission form holds its own staging token: the list of (name, sha256) it kept, signed with
the app's secret for the signed-in user and aged out after a day. Two forms open in two tabs of one
session therefore never see each other's files, and nobody can name a blob they did not upload.
"""

from __future__ import annotations

from typing import BinaryIO, cast

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeTimedSerializer
from werkzeug.datastructures import FileStorage

from clearance.errors import BadInput
from clearance.runtime import Runtime
from clearance.services.uploads import safe_filename

SALT = "clearance.webapp.staging"
MAX_AGE_S = 24 * 3600
MAX_STAGED = 20

Staged = list[dict[str, str]]


def _expired() -> str:
    return str(
        _(
            "The files kept by this form are no longer valid. Open the form again and attach the"
            " files once more."
        )
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.config["SECRET_KEY"]), salt=SALT)


def seal(username: str, staged: Staged) -> str:
    """The token a form carries for ``staged`` (empty list: a form with nothing kept)."""
    return _serializer().dumps({"u": username, "f": [[s["name"], s["sha256"]] for s in staged]})


def unseal(username: str, token: str | None) -> Staged:
    """The files a form kept; BadInput when the token is forged, expired or someone else's."""
    if not token:
        return []
    try:
        payload = _serializer().loads(token, max_age=MAX_AGE_S)
    except BadData as exc:
        raise BadInput(_expired()) from exc
    if not isinstance(payload, dict) or payload.get("u") != username:
        raise BadInput(_expired())
    files = payload.get("f")
    if not isinstance(files, list):
        raise BadInput(_expired())
    return [{"name": str(name), "sha256": str(sha)} for name, sha in files]


def stage(rt: Runtime, staged: Staged, files: list[FileStorage]) -> Staged:
    """``staged`` with ``files`` put in the blob store (a file replaces a kept one of its name)."""
    kept = list(staged)
    for f in files:
        name = safe_filename(f.filename or "")
        ref = rt.blobs.put_stream(cast(BinaryIO, f.stream), name=f"the file {name!r}")
        kept = [s for s in kept if s["name"] != name]
        kept.append({"name": name, "sha256": ref.sha256})
    if len(kept) > MAX_STAGED:
        raise BadInput(
            _("Too many files (%(count)s); attach at most %(maximum)s.", count=len(kept),
              maximum=MAX_STAGED)
        )  # fmt: skip
    return kept
