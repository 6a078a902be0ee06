"""A loopback HTTP endpoint speaking the JSON SMS interface of docs/messaging.md.

It records every request and every accepted message, answers lookups by reference, and
can be told to answer 500 or 400, or to hang (`mode`). Used by the tests (fixture
`sms_endpoint`) and by the dispatch benchmark.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SMS_TOKEN = "test-token"


@dataclass
class SmsEndpoint:
    """State shared with the request handler threads. `mode` is "ok", "500", "400",
    "hang" (sleep `hang_seconds`, then answer 500, to make clients time out) or
    "accept_then_hang" (take the message, then sleep before answering 202: the client
    times out not knowing the message was taken)."""

    base_url: str = ""
    token: str = SMS_TOKEN
    mode: str = "ok"
    hang_seconds: float = 2.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    by_reference: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)

    def accepted_references(self) -> list[str]:
        with self.lock:
            return [m["reference"] for m in self.accepted]


def _sms_handler(state: SmsEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # One write per response and no Nagle: otherwise keep-alive clients stall ~40 ms on
        # delayed ACKs and the endpoint, not the code under test, sets the pace.
        wbufsize = -1
        disable_nagle_algorithm = True

        def log_message(self, format: str, *args: object) -> None:  # quiet test output
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if self.headers.get("Authorization") == f"Bearer {state.token}":
                return True
            self._answer(401, {"error": "unauthorised"})
            return False

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                state.requests.append({"method": "POST", "path": self.path, "body": body})
                mode = state.mode
            if not self._authorised():
                return
            if mode == "hang":
                state.released.wait(state.hang_seconds)
                mode = "500"
            if mode == "500":
                self._answer(500, {"error": "try later"})
                return
            if mode == "400" or not {"to", "text", "reference"} <= body.keys():
                self._answer(400, {"error": "bad request"})
                return
            with state.lock:
                provider_id = f"sms-{len(state.accepted) + 1}"
                state.accepted.append(body)
                state.by_reference.setdefault(body["reference"], provider_id)
            if mode == "accept_then_hang":
                state.released.wait(state.hang_seconds)
            self._answer(202, {"id": provider_id})

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            with state.lock:
                state.requests.append({"method": "GET", "path": self.path})
            if not self._authorised():
                return
            if url.path != "/messages":
                self._answer(404, {"error": "not found"})
                return
            reference = parse_qs(url.query).get("reference", [""])[0]
            with state.lock:
                provider_id = state.by_reference.get(reference)
            if provider_id is None:
                self._answer(404, {"error": "no such reference"})
            else:
                self._answer(200, {"id": provider_id, "reference": reference})

    return Handler


@contextmanager
def serve_sms_endpoint(port: int = 0, state: SmsEndpoint | None = None) -> Iterator[SmsEndpoint]:
    """Serve on `port` (0: any free one). Pass the `state` of an earlier run to bring the
    same gateway back on its port after it was down (what it took before stays recorded)."""
    state = state or SmsEndpoint()
    state.released.clear()
    server = ThreadingHTTPServer(("127.0.0.1", port), _sms_handler(state))
    server.daemon_threads = True
    server.block_on_close = False
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
