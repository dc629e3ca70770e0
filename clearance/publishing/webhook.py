"""Webhook: an HMAC-SHA256 signed JSON POST, retried with backoff on network errors and 5xx.

Headers: ``X-Clearance-Timestamp`` (Unix seconds), ``X-Clearance-Signature: sha256=<hex>`` over
``<timestamp>.<body bytes>`` with the channel's key, and ``X-Clearance-Idempotency-Key``
(``<manifest hash>:<channel>``, ``...:recall`` for a recall): a receiver that keeps the keys it
has seen applies each release once even when a retried or re-run publication posts it again.

Actions (the body's ``action``): ``publish`` (the release with every part), ``recall``, and
``read_back``, which asks the receiver what it holds now for that release: it answers
``{"received": {"<part name>": "<sha256>"}}``, compared part by part with the release. The
read-back always asks the receiver (never an earlier answer kept here); a receiver that answers
without ``received`` cannot read back, reported as unavailable (``matches: null`` in the log).

This is the channel write's only retry layer (``attempts`` POSTs, backoff doubling from
``backoff`` s); the flows do not retry it again, and the publication dispatcher offers an item
whose publication failed again later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clearance.errors import PolicyRefusal
from clearance.publishing.adapter import ReadBack
from clearance.publishing.release import Release, ReleasePart


def _part(release: Release, part: ReleasePart) -> dict[str, Any]:
    """A part as the body carries it, with the language and title of the text it goes with
    (the main text's, or its version's for a version and that version's files)."""
    language, title = release.version_of(part)
    return {
        "name": part.name,
        "role": part.role,
        "mime": part.mime,
        "sha256": part.sha256,
        "data": base64.b64encode(part.data).decode("ascii"),
        "language": language,
        "title": title,
    }


class WebhookError(OSError):
    """The receiver could not be reached or refused the delivery."""


def sign(key: bytes, timestamp: str, body: bytes) -> str:
    mac = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(key: bytes, timestamp: str, body: bytes, header: str) -> bool:
    """For receivers (and tests): constant-time check of ``X-Clearance-Signature``."""
    return hmac.compare_digest(sign(key, timestamp, body), header)


@dataclass
class WebhookChannel:
    url: str
    key: bytes
    channel: str
    attempts: int = 4
    backoff: float = 0.5
    timeout: float = 10.0
    sleep: Callable[[float], None] = time.sleep

    def put(self, release: Release) -> str:
        payload = {
            "action": "publish",
            "channel": self.channel,
            "item": release.item_id,
            "revision": release.revision,
            "title": release.title,
            "manifest_hash": release.manifest_hash,
            "manifest": release.manifest_json,
            "approvals": json.loads(release.approvals_json()),
            "parts": [_part(release, p) for p in release.parts],
        }
        self._post(payload, f"{release.manifest_hash}:{self.channel}")
        return self.url

    def read_back(self, release: Release) -> ReadBack:
        payload = {
            "action": "read_back",
            "channel": self.channel,
            "item": release.item_id,
            "manifest_hash": release.manifest_hash,
        }
        answer = self._post(payload, f"{release.manifest_hash}:{self.channel}:read_back")
        received = answer.get("received") if isinstance(answer, dict) else None
        if not isinstance(received, dict):
            return ReadBack(self.url, None)
        return ReadBack(self.url, {str(k): str(v) for k, v in received.items()})

    def remove(self, release_item: str, manifest_hash: str) -> None:
        payload = {
            "action": "recall",
            "channel": self.channel,
            "item": release_item,
            "manifest_hash": manifest_hash,
        }
        self._post(payload, f"{manifest_hash}:{self.channel}:recall")

    def _post(self, payload: dict[str, Any], idempotency_key: str) -> Any:
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        last: Exception | None = None
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            timestamp = str(int(time.time()))
            request = urllib.request.Request(  # noqa: S310 - the URL comes from the policy
                self.url,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "X-Clearance-Timestamp": timestamp,
                    "X-Clearance-Signature": sign(self.key, timestamp, body),
                    "X-Clearance-Idempotency-Key": idempotency_key,
                },
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    raw = response.read()
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return None
            except urllib.error.HTTPError as exc:
                exc.close()  # the error holds the answer's open connection
                if exc.code < 500:
                    raise PolicyRefusal(
                        f"the webhook {self.url} refused the delivery with HTTP {exc.code}; "
                        "check the channel's key and the receiver"
                    ) from None
                last = exc
            except (urllib.error.URLError, OSError) as exc:
                last = exc
        raise WebhookError(
            f"the webhook {self.url} failed {self.attempts} times (last: {last}); "
            "the publication stays pending and can be retried"
        )
