"""Publication status in the UI: per-channel rows of an item, what a channel lacks, and the
Vietnamese (or English) sentences for the core's publication codes, in this one place.

The core decides (``clearance.publishing``: ``missing_configuration``, ``FailureCode``); this
module only reads and translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from flask_babel import gettext

from clearance.errors import ClearanceError
from clearance.publishing import (
    ChannelNotConfigured,
    FailedPublication,
    FailureCode,
    Missing,
    MissingSetting,
    NothingToRetry,
    PublicationStatus,
    UnconfiguredChannelChosen,
    configured_channels,
    failed_publications,
    item_publications,
)
from clearance.services.items import FileTypeNotAccepted
from webapp.context import read_connection, runtime
from webapp.errors import message_of


def _(message: str, **variables: object) -> str:
    """``gettext`` typed as ``str`` (babel extracts ``_`` calls)."""
    return str(gettext(message, **variables))


#: the states in which an item's channels are (or were) published
PUBLISHING_STATES = frozenset({"approved", "published", "withdrawn"})


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """One channel of the item's current release, as the item page shows it."""

    channel: str
    label: str
    #: pending | publishing | published | failed | recalled | removed
    status: str
    status_label: str
    link: str | None
    location: str | None
    reason: str | None
    code: str | None
    attempts: int
    at: datetime | None


def channel_label(name: str) -> str:
    from webapp.i18n import language

    channel = runtime().policy.channels.get(name)
    if channel is None:
        return name
    return channel.label_vi if language() == "vi" else name


def missing_text(missing: MissingSetting) -> str:
    """What one missing setting is, in the user's language."""
    if missing.code is Missing.HMAC_KEY:
        return _("the HMAC signing key (environment variable %(name)s)", name=missing.name)
    if missing.code is Missing.HMAC_KEY_ENV:
        return _("the name of the HMAC key's environment variable (policy field hmac_key_env)")
    if missing.code is Missing.WEBHOOK_URL:
        return _("the receiver's address (policy field url or %(name)s)", name=missing.name)
    return _("a publisher this version has (%(name)s is unknown)", name=missing.name)


def missing_list(missing: tuple[MissingSetting, ...]) -> str:
    return "; ".join(missing_text(m) for m in missing)


def failure_text(code: FailureCode | None, channel: str) -> str:
    """Why a channel publication failed, as a sentence for a civil servant."""
    if code is FailureCode.NOT_CONFIGURED:
        lacking = configured_channels(runtime()).get(channel) or ()
        if lacking:
            return _(
                "The channel is not configured: it lacks %(what)s. The administrator must "
                "provide it, then retry.",
                what=missing_list(lacking),
            )
        return _(
            "The channel was not configured when publication was tried; it is now. "
            "The administrator can retry."
        )
    if code is FailureCode.UNREACHABLE:
        return _(
            "The channel could not be reached (network error or the receiver is down). "
            "It is tried again automatically; the administrator can retry now."
        )
    if code is FailureCode.REFUSED:
        return _(
            "The channel refused the delivery (check the channel's key and the receiver). "
            "The administrator can retry once it is fixed."
        )
    if code is FailureCode.WRITE_FAILED:
        return _(
            "The files could not be written to the channel (disk full or no permission). "
            "The administrator can retry once it is fixed."
        )
    return _("The channel reported an error. The administrator can retry.")


def status_label(status: str) -> str:
    return {
        "pending": _("Waiting to be published"),
        "publishing": _("Being published"),
        "published": _("Published"),
        "failed": _("Publication failed"),
        "recalling": _("Being recalled"),
        "recalled": _("Recalled"),
        "removed": _("Taken down (the release no longer held)"),
    }.get(status, status)


def _link(location: str | None) -> str | None:
    if location and location.startswith(("https://", "http://")):
        return location
    return None


def channel_rows(
    item_id: str, state: str, channels: tuple[str, ...] | list[str]
) -> list[ChannelRow]:
    """Every channel of the item's current release with its publication status (empty before
    approval, when nothing is or was published)."""
    _state, views = item_publications(read_connection(), item_id)
    current = {v.channel: v for v in views if v.current}
    if state not in PUBLISHING_STATES and not current:
        return []
    rows: list[ChannelRow] = []
    for name in channels:
        view = current.get(name)
        if view is None:
            status = "pending"
        elif view.status is PublicationStatus.PENDING:
            status = "publishing"
        else:
            status = view.status.value
        failed = view is not None and view.status is PublicationStatus.FAILED
        rows.append(
            ChannelRow(
                channel=name,
                label=channel_label(name),
                status=status,
                status_label=status_label(status),
                link=_link(view.location) if view and status == "published" else None,
                location=view.location if view and status == "published" else None,
                reason=failure_text(view.error_code, name) if failed and view else None,
                code=view.error_code.value if failed and view and view.error_code else None,
                attempts=view.attempts if view else 0,
                at=(view.failed_at if failed else view.published_at) if view else None,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class ChannelSetup:
    """A channel on the admin page: whether it can publish and, if not, what it lacks."""

    channel: str
    label: str
    adapter: str
    configured: bool
    missing: str


def channel_setup() -> list[ChannelSetup]:
    policy = runtime().policy
    return [
        ChannelSetup(
            channel=name,
            label=channel_label(name),
            adapter=policy.channel(name).publisher.adapter,
            configured=not missing,
            missing=missing_list(missing),
        )
        for name, missing in configured_channels(runtime()).items()
    ]


def available_channels() -> list[str]:
    """The channels an author may choose: those that can publish."""
    return [name for name, missing in configured_channels(runtime()).items() if not missing]


@dataclass(frozen=True, slots=True)
class FailedRow:
    failure: FailedPublication
    label: str
    reason: str


def failed_publications_rows() -> list[FailedRow]:
    return [
        FailedRow(f, channel_label(f.channel), failure_text(f.code, f.channel))
        for f in failed_publications(runtime())
    ]


def user_message(exc: ClearanceError) -> str:
    """The core's coded publication errors in the user's language (others: their message)."""
    if isinstance(exc, UnconfiguredChannelChosen):
        return _(
            "The channel “%(channel)s” cannot publish yet: it is not configured (it lacks "
            "%(what)s). Choose another channel or ask the administrator.",
            channel=channel_label(exc.channel),
            what=missing_list(exc.missing),
        )
    if isinstance(exc, ChannelNotConfigured):
        return _(
            "The channel “%(channel)s” is not configured: it lacks %(what)s.",
            channel=channel_label(exc.channel),
            what=missing_list(exc.missing),
        )
    if isinstance(exc, NothingToRetry):
        return _(
            "The channel “%(channel)s” has no failed publication of this item to retry "
            "(it was published or retried meanwhile).",
            channel=channel_label(exc.channel),
        )
    if isinstance(exc, FileTypeNotAccepted):
        return _(
            "The file “%(file)s” is of type %(mime)s, which the channel(s) %(channels)s do not "
            "accept. Convert the file or choose other channels.",
            file=exc.filename,
            mime=exc.mime,
            channels=", ".join(channel_label(c) for c in exc.channels),
        )
    return message_of(exc)


def public_site() -> str | None:
    """The public site's address for the header link (``clearance.publishing``'s rule), once
    per request."""
    from flask import g

    from clearance.publishing.registry import public_site_url

    if "clearance_public_site" not in g:
        g.clearance_public_site = public_site_url(runtime())
    found: str | None = g.clearance_public_site
    return found


def init_app(app: Flask) -> None:
    from webapp import precheck

    app.jinja_env.globals["public_site"] = public_site
    app.jinja_env.globals["channel_publications"] = channel_rows
    app.jinja_env.globals["precheck_summary"] = lambda findings: precheck.summary(
        runtime(), findings
    )
