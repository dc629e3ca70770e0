"""Real channel ends for the tests, shared by the web and pipeline tests.

- :class:`Receiver` and :func:`serving`: a webhook receiver (a local HTTP server) speaking the
  channel's protocol: it checks the signature, applies each idempotency key once, answers a
  ``read_back`` with the SHA-256 of every part it holds for that release, and forgets a recalled
  release.
- :class:`Sink` and :func:`smtp_sink`: a real local SMTP server (aiosmtpd) that keeps every
  message it accepts.

The fixtures ``webhook_receiver`` and ``smtp_sink`` in ``tests/conftest.py`` wrap them."""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from clearance.publishing.webhook import verify_signature

KEY = b"test-webhook-key-0123456789abcdef"


@dataclass
class Receiver:
    key: bytes = KEY
    #: answer 503 to this many POSTs first
    fail_first: int = 0
    posts: int = 0
    #: POSTs per action ("publish", "read_back", "recall")
    actions: dict[str, int] = field(default_factory=dict)
    #: the first payload of each idempotency key: what was applied
    applied: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: what is live: release key (manifest hash:channel) -> part name -> sha256
    live: dict[str, dict[str, str]] = field(default_factory=dict)
    #: every POST as it came: (its timestamp header, its signature header, its body bytes)
    raw: list[tuple[str, str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, headers: Any, body: bytes) -> tuple[int, bytes]:
        with self.lock:
            self.posts += 1
            self.raw.append(
                (headers["X-Clearance-Timestamp"], headers["X-Clearance-Signature"], body)
            )
            if self.posts <= self.fail_first:
                return 503, b""
            ok = verify_signature(
                self.key, headers["X-Clearance-Timestamp"], body, headers["X-Clearance-Signature"]
            )
            if not ok:
                return 401, b""
            payload = json.loads(body)
            action = str(payload.get("action"))
            self.actions[action] = self.actions.get(action, 0) + 1
            release = f"{payload['manifest_hash']}:{payload['channel']}"
            if action == "read_back":
                held = self.live.get(release)
                answer = {"received": held} if held is not None else {"received": {}}
                return 200, json.dumps(answer).encode()
            key = headers["X-Clearance-Idempotency-Key"]
            if key not in self.applied:  # each key applied once
                self.applied[key] = payload
                if action == "publish":
                    self.live[release] = {
                        p["name"]: hashlib.sha256(base64.b64decode(p["data"])).hexdigest()
                        for p in payload.get("parts", [])
                    }
                elif action == "recall":
                    self.live.pop(release, None)
            return 200, b"{}"


@contextmanager
def serving(receiver: Receiver) -> Iterator[str]:
    """Serve ``receiver`` on a free local port; yield its URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status, answer = receiver.handle(self.headers, body)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


class Sink:
    """Collects every message the SMTP server accepts (``arrived`` is set at the first)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.arrived = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, email.message.EmailMessage)
        self.messages.append(message)
        self.arrived.set()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on a free local port; yield its sink and the port."""
    from aiosmtpd.controller import Controller

    handler = Sink()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
