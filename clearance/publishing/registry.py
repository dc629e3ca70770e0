"""Build the adapter a channel's ``publisher`` names (``website``, ``directory``, ``webhook``).

Relative paths in publisher settings are under ``CLEARANCE_HOME``; the website goes to
``CLEARANCE_SITE_DIR`` when set. Webhook keys are never in the policy: ``hmac_key_env`` names the
environment variable holding the key, and ``CLEARANCE_WEBHOOK_URL_<CHANNEL>`` may override the URL
(for a staging receiver).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from clearance.errors import ConfigurationError, NotFound
from clearance.publishing.adapter import ChannelAdapter
from clearance.publishing.directory import DirectoryChannel
from clearance.publishing.webhook import WebhookChannel
from clearance.publishing.website import WebsiteChannel
from clearance.runtime import Runtime


def _env(rt: Runtime, name: str) -> str | None:
    return rt.settings.extra.get(name) or os.environ.get(name) or None


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


def adapter_for(rt: Runtime, channel_name: str) -> ChannelAdapter:
    channel = rt.policy.channel(channel_name)
    publisher = channel.publisher
    options = dict(publisher.settings)
    if publisher.adapter == "website":
        root = rt.settings.site_dir or _under_home(rt, options.get("output_dir"), "site")
        vkey_file = rt.settings.keys_dir / "log.vkey"
        return WebsiteChannel(
            root=root,
            base_url=str(options.get("base_url") or rt.settings.public_base_url),
            feed_title=str(options.get("feed_title") or "Thông tin đối ngoại"),
            receipt=lambda item_id: _receipt(rt, item_id),
            vkey=vkey_file.read_text("utf-8") if vkey_file.is_file() else None,
        )
    if publisher.adapter == "directory":
        return DirectoryChannel(_under_home(rt, options.get("path"), f"outbox/{channel_name}"))
    if publisher.adapter == "webhook":
        override = _env(rt, f"CLEARANCE_WEBHOOK_URL_{channel_name.upper()}")
        url = override or str(options.get("url") or "")
        key_env = str(options.get("hmac_key_env") or "")
        key = _env(rt, key_env) if key_env else None
        if not url:
            raise ConfigurationError(
                f"channel {channel_name} has no webhook url; set it in the policy"
            )
        if not key:
            raise ConfigurationError(
                f"channel {channel_name} needs its HMAC key in {key_env or 'hmac_key_env'}; "
                "set that environment variable to a long random value"
            )
        return WebhookChannel(url=url, key=key.encode("utf-8"), channel=channel_name)
    raise ConfigurationError(
        f"channel {channel_name} uses unknown adapter {publisher.adapter!r}; "
        "use website, directory or webhook"
    )
