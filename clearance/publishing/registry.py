"""Build the adapter a channel's ``publisher`` names (``website``, ``directory``, ``webhook``).

Relative paths in publisher settings are under ``CLEARANCE_HOME``; the website goes to
``CLEARANCE_SITE_DIR`` when set. Webhook keys are never in the policy: ``hmac_key_env`` names the
``CLEARANCE_<NAME>_WEBHOOK_KEY`` variable holding the key (``Settings.webhook_keys``), and
``CLEARANCE_WEBHOOK_URL_<CHANNEL>`` (``Settings.webhook_urls``) may override the URL (for a
staging receiver).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from clearance.errors import BadInput, ConfigurationError, NotFound
from clearance.publishing.adapter import ChannelAdapter
from clearance.publishing.directory import DirectoryChannel
from clearance.publishing.webhook import WebhookChannel
from clearance.publishing.website import WebsiteChannel
from clearance.runtime import Runtime


def _under_home(rt: Runtime, raw: object, default: str) -> Path:
    path = Path(str(raw or default))
    return path if path.is_absolute() else rt.settings.home / path


def _receipt(rt: Runtime, item_id: str) -> str | None:
    from clearance.auditlog.export import prove_item

    with rt.sessions() as session:
        try:
            receipt = prove_item(session, item_id)
        except NotFound:
            return None
    return json.dumps(receipt, ensure_ascii=False, indent=2) + "\n"


class Missing(StrEnum):
    """What a channel lacks before it can publish (the adapters translate these codes)."""

    #: the webhook has no URL (policy ``publisher.settings.url`` or the URL override)
    WEBHOOK_URL = "webhook_url"
    #: the environment variable that should hold the webhook's HMAC key is unset or empty
    HMAC_KEY = "hmac_key"
    #: the policy names no environment variable for the webhook's key (``hmac_key_env``)
    HMAC_KEY_ENV = "hmac_key_env"
    #: the policy names an adapter this version does not have
    ADAPTER = "adapter"


@dataclass(frozen=True, slots=True)
class MissingSetting:
    code: Missing
    #: the setting to provide: an environment variable, a policy field or the adapter's name
    name: str


class ChannelNotConfigured(ConfigurationError):
    """A channel cannot publish until ``missing`` is provided (``code``: ``channel_not_configured``)."""

    code = "channel_not_configured"

    def __init__(self, channel: str, missing: tuple[MissingSetting, ...]) -> None:
        self.channel = channel
        self.missing = missing
        what = ", ".join(f"{m.code.value} ({m.name})" for m in missing)
        super().__init__(
            f"channel {channel} is not configured: it lacks {what}; provide that and restart"
        )


class UnconfiguredChannelChosen(BadInput):
    """A submission names a channel that cannot publish (``code``: ``channel_unavailable``)."""

    code = "channel_unavailable"

    def __init__(self, channel: str, missing: tuple[MissingSetting, ...]) -> None:
        self.channel = channel
        self.missing = missing
        super().__init__(
            f"channel {channel} cannot publish yet (it is not configured); choose another "
            "channel or ask the administrator to configure it"
        )


def _webhook_settings(rt: Runtime, channel_name: str) -> tuple[str, str, str | None]:
    """The webhook's URL, the name of its key's variable and the key (None when unset)."""
    options = dict(rt.policy.channel(channel_name).publisher.settings)
    override = rt.settings.webhook_urls.get(channel_name.lower())
    url = override or str(options.get("url") or "")
    key_env = str(options.get("hmac_key_env") or "")
    return url, key_env, (rt.settings.webhook_key(key_env) if key_env else None)


def missing_configuration(rt: Runtime, channel_name: str) -> tuple[MissingSetting, ...]:
    """What ``channel_name`` lacks before it can publish (empty: it is configured). The one
    place that decides it: ``adapter_for`` refuses with it, the submission refuses with it and
    the UI hides and reports with it."""
    channel = rt.policy.channel(channel_name)
    adapter = channel.publisher.adapter
    if adapter in ("website", "directory"):
        return ()
    if adapter != "webhook":
        return (MissingSetting(Missing.ADAPTER, adapter),)
    url, key_env, key = _webhook_settings(rt, channel_name)
    missing: list[MissingSetting] = []
    if not url:
        missing.append(
            MissingSetting(Missing.WEBHOOK_URL, f"CLEARANCE_WEBHOOK_URL_{channel_name.upper()}")
        )
    if not key_env:
        missing.append(MissingSetting(Missing.HMAC_KEY_ENV, "hmac_key_env"))
    elif not key:
        missing.append(MissingSetting(Missing.HMAC_KEY, key_env))
    return tuple(missing)


def configured_channels(rt: Runtime) -> dict[str, tuple[MissingSetting, ...]]:
    """Every channel of the policy in force with what it lacks (empty tuple: ready)."""
    return {name: missing_configuration(rt, name) for name in sorted(rt.policy.channels)}


def require_configured(rt: Runtime, channels: list[str] | tuple[str, ...]) -> None:
    """Refuse a submission to a channel that cannot publish (``UnconfiguredChannelChosen``)."""
    for name in channels:
        missing = missing_configuration(rt, name)
        if missing:
            raise UnconfiguredChannelChosen(name, missing)


def website_base_url(rt: Runtime, channel_name: str) -> str:
    """Where the website channel ``channel_name`` is read by the public: its ``base_url``
    setting, else the installation's public address."""
    options = rt.policy.channel(channel_name).publisher.settings
    return str(options.get("base_url") or rt.settings.public_base_url)


def public_site_url(rt: Runtime) -> str | None:
    """The public site's front page: the first website channel of the policy that can
    publish (by name), or None when there is none."""
    for name in sorted(rt.policy.channels):
        channel = rt.policy.channel(name)
        if channel.publisher.adapter == "website" and not missing_configuration(rt, name):
            return website_base_url(rt, name).rstrip("/") + "/"
    return None


def adapter_for(rt: Runtime, channel_name: str) -> ChannelAdapter:
    channel = rt.policy.channel(channel_name)
    publisher = channel.publisher
    options = dict(publisher.settings)
    missing = missing_configuration(rt, channel_name)
    if missing:
        raise ChannelNotConfigured(channel_name, missing)
    if publisher.adapter == "website":
        root = rt.settings.site_dir or _under_home(rt, options.get("output_dir"), "site")
        vkey_file = rt.settings.keys_dir / "log.vkey"
        return WebsiteChannel(
            root=root,
            base_url=website_base_url(rt, channel_name),
            feed_title=str(options.get("feed_title") or "Thông tin đối ngoại"),
            receipt=lambda item_id: _receipt(rt, item_id),
            vkey=vkey_file.read_text("utf-8") if vkey_file.is_file() else None,
        )
    if publisher.adapter == "directory":
        return DirectoryChannel(_under_home(rt, options.get("path"), f"outbox/{channel_name}"))
    url, _key_env, key = _webhook_settings(rt, channel_name)
    assert publisher.adapter == "webhook" and key  # missing_configuration checked both
    return WebhookChannel(url=url, key=key.encode("utf-8"), channel=channel_name)
