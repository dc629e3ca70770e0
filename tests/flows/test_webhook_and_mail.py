"""The webhook channel against a real local HTTP server, and e-mail against a local SMTP sink."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from clearance.errors import PolicyRefusal
from clearance.publishing import publish_all
from clearance.publishing.webhook import verify_signature
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from tests.flows.conftest import approve_fully, log_types, make_settings, submit_text

KEY = b"test-webhook-key-0123456789abcdef"


class Receiver:
    def __init__(self, *, fail_first: int = 0, key: bytes = KEY) -> None:
        self.fail_first = fail_first
        self.key = key
        self.seen: dict[str, dict[str, Any]] = {}
        self.posts = 0


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.posts += 1
            if receiver.posts <= receiver.fail_first:
                self.send_response(503)
                self.end_headers()
                return
            ok = verify_signature(
                receiver.key,
                self.headers["X-Clearance-Timestamp"],
                body,
                self.headers["X-Clearance-Signature"],
            )
            if not ok:
                self.send_response(401)
                self.end_headers()
                return
            payload = json.loads(body)
            receiver.seen.setdefault(self.headers["X-Clearance-Idempotency-Key"], payload)
            received = {
                p["name"]: hashlib.sha256(base64.b64decode(p["data"])).hexdigest()
                for p in payload.get("parts", [])
            }
            answer = json.dumps({"received": received}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(fail_first=2)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def _runtime_with(rt: Runtime, extra: dict[str, str]) -> Runtime:
    return Runtime.open(make_settings(rt.settings.home, extra))


def test_webhook_is_signed_retried_and_read_back(
    rt: Runtime, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    rt2 = _runtime_with(rt, {"CLEARANCE_WEBHOOK_URL_SOCIAL": url})
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    [outcome] = publish_all(rt2, item)
    assert outcome.matches is True
    assert state.posts == 3  # two 503s, then delivered
    [payload] = state.seen.values()
    assert payload["item"] == item and payload["manifest_hash"] == outcome.manifest_hash
    assert log_types(rt2, item).count("publication.published") == 1


def test_webhook_with_a_wrong_key_is_refused_and_stays_pending(
    rt: Runtime, receiver: tuple[Receiver, str]
) -> None:
    state, url = receiver
    state.fail_first = 0
    state.key = b"another key"
    rt2 = _runtime_with(rt, {"CLEARANCE_WEBHOOK_URL_SOCIAL": url})
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    with pytest.raises(PolicyRefusal, match="HTTP 401"):
        publish_all(rt2, item)
    assert "publication.published" not in log_types(rt2, item)


class Sink:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def test_signoff_request_is_emailed_without_content(rt: Runtime) -> None:
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rt2 = _runtime_with(
            rt, {"CLEARANCE_SMTP_HOST": "127.0.0.1", "CLEARANCE_SMTP_PORT": str(port)}
        )
        item = submit_text(rt2)
        review_revision(rt2, item)
    finally:
        controller.stop()
    [message] = sink.messages
    assert message["To"] == "hung.le@example.gov.vn"
    text = message.get_payload(decode=True).decode("utf-8")  # type: ignore[union-attr]
    assert item in text and "unit_review" in text
    assert "Nhật Bản" not in text and "Nhật Bản" not in str(message["Subject"])
