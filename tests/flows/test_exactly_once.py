"""Exactly once with a real kill: a worker process is SIGKILLed while its webhook delivery is in
flight (claim committed, channel written, completion not yet recorded); the re-run completes it
with one publication row and one log entry."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from clearance.publishing import PublicationStatus, publication_status, publish
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from tests.flows.conftest import approve_fully, log_types, make_settings, submit_text

REPO = Path(__file__).resolve().parents[2]


class Hold:
    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()
        self.keys: list[str] = []
        self.applied: dict[str, bytes] = {}


@pytest.fixture
def holding_receiver() -> Iterator[tuple[Hold, str]]:
    hold = Hold()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["X-Clearance-Idempotency-Key"]
            if key.endswith(":read_back"):  # what it holds for that release
                body = hold.applied.get(key.removesuffix(":read_back"), b"{}")
            else:
                hold.keys.append(key)
                hold.applied.setdefault(key, body)  # a receiver applies each key once
                hold.arrived.set()
                if len(hold.keys) == 1:
                    hold.release.wait(30)  # the first delivery hangs until its sender is killed
            parts = json.loads(body).get("parts", [])
            received = {
                p["name"]: hashlib.sha256(base64.b64decode(p["data"])).hexdigest() for p in parts
            }
            answer = json.dumps({"received": received}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield hold, f"http://127.0.0.1:{server.server_address[1]}/hook"
    hold.release.set()
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_worker_killed_mid_publish_then_rerun_publishes_once(
    rt: Runtime, holding_receiver: tuple[Hold, str]
) -> None:
    hold, url = holding_receiver
    extra = {"CLEARANCE_WEBHOOK_URL_SOCIAL": url}
    rt2 = Runtime.open(make_settings(rt.settings.home, extra))
    item = submit_text(rt2, channels=("social",))
    review_revision(rt2, item)
    approve_fully(rt2, item)
    env = {
        **os.environ,
        "CLEARANCE_HOME": str(rt2.settings.home),
        "CLEARANCE_DATABASE_URL": rt2.settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": rt2.settings.log_origin,
        "CLEARANCE_SOCIAL_WEBHOOK_KEY": "test-webhook-key-0123456789abcdef",
        **extra,
    }
    code = (
        "from clearance.runtime import Runtime; from clearance.settings import load_settings; "
        "from clearance.publishing import publish; "
        f"publish(Runtime.open(load_settings()), {item!r}, 'social')"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], env=env, cwd=REPO)
    try:
        assert hold.arrived.wait(60), "the worker never reached the channel"
        time.sleep(0.2)
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
    _, views = publication_status(rt2, item)
    assert [v.status for v in views] == [PublicationStatus.PENDING]
    assert "publication.published" not in log_types(rt2, item)

    outcome = publish(rt2, item, "social")
    assert not outcome.already and outcome.attempts == 2
    again = publish(rt2, item, "social")
    assert again.already
    assert log_types(rt2, item).count("publication.published") == 1
    _, views = publication_status(rt2, item)
    assert [(v.status, v.attempts) for v in views] == [(PublicationStatus.PUBLISHED, 2)]
    assert len(hold.keys) == 2 and len(set(hold.keys)) == 1 and len(hold.applied) == 1
