"""The witness over HTTP (standard library): ``POST /add-checkpoint`` (c2sp.org/tlog-witness) and
``GET /checkpoint?origin=ORIGIN`` (the latest cosigned checkpoint, for auditors)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from clearance.auditlog.witnessrequest import MAX_REQUEST_BYTES
from clearance.witness.protocol import Answer, Witness


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the spec recommends
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed ACK
    server: WitnessServer

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/add-checkpoint":
            self._send(Answer(404, b"unknown path; POST /add-checkpoint\n"))
            return
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            self._send(Answer(411, b"a Content-Length header is required\n"))
            return
        if not 0 <= length <= MAX_REQUEST_BYTES:
            self.close_connection = True
            self._send(Answer(413, f"at most {MAX_REQUEST_BYTES} bytes\n".encode()))
            return
        self._send(self.server.witness.add_checkpoint(self.rfile.read(length)))

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        origins = parse_qs(parts.query).get("origin", [])
        if parts.path != "/checkpoint" or len(origins) != 1:
            self._send(Answer(404, b"unknown path; GET /checkpoint?origin=ORIGIN\n"))
            return
        self._send(self.server.witness.latest(origins[0]))

    def log_message(self, format: str, *args: object) -> None:
        if self.server.verbose:
            super().log_message(format, *args)


class WitnessServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], witness: Witness, *, verbose: bool = False):
        super().__init__(address, _Handler)
        self.witness = witness
        self.verbose = verbose

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_background(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, name="witness", daemon=True)
        thread.start()
        return thread
