"""Which channels of the policy can publish with this installation's settings: the one place
that decides it (the submission refuses an unconfigured channel with it, ``adapter_for`` refuses
to build an adapter with it, the UI hides and reports with it).

It sits with the use cases, below ``clearance.publishing`` (which builds the adapters), so that a
submission can check its channels without importing the publication machinery. Webhook keys are
never in the policy: ``hmac_key_env`` names the ``CLEARANCE_<NAME>_WEBHOOK_KEY`` variable holding
the key (``Settings.webhook_keys``), and ``CLEARANCE_WEBHOOK_URL_<CHANNEL>``
(``Settings.webhook_urls``) may override the URL (for a staging receiver).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from clearance.errors import BadInput, ConfigurationError
from clearance.runtime import Runtime


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


def webhook_settings(rt: Runtime, channel_name: str) -> tuple[str, str, str | None]:
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
    url, key_env, key = webhook_settings(rt, channel_name)
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
