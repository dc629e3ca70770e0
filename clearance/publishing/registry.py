"""Build the adapter a channel's ``publisher`` names (``website``, ``directory``, ``webhook``).

Relative paths in publisher settings are under ``CLEARANCE_HOME``; the website goes to
``CLEARANCE_SITE_DIR`` when set. Whether a channel is configured at all is decided in
``clearance.services.channels``.
"""

from __future__ import annotations

import json
from pathlib import Path

from clearance.errors import NotFound
from clearance.publishing.adapter import ChannelAdapter
from clearance.publishing.directory import DirectoryChannel
from clearance.publishing.webhook import WebhookChannel
from clearance.publishing.website import WebsiteChannel
from clearance.runtime import Runtime
from clearance.services.channels import (
    ChannelNotConfigured,
    missing_configuration,
    webhook_settings,
)


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
    url, _key_env, key = webhook_settings(rt, channel_name)
    assert publisher.adapter == "webhook" and key  # missing_configuration checked both
    return WebhookChannel(url=url, key=key.encode("utf-8"), channel=channel_name)
