"""Real endpoints on loopback for message delivery tests.

- `smtp_server`: an aiosmtpd SMTP server on 127.0.0.1 that records every message it
  accepts and can be told to refuse (`server.refuse = "451 ..."` or `"550 ..."`).
- `smtp_tls_server`: the same with STARTTLS (self-signed certificate via openssl),
  plus `smtp_tls_client_context` that trusts it.
- `sms_endpoint`: a threaded HTTP server speaking the JSON SMS interface of
  docs/messaging.md; records requests and can be told to answer 500, 400 or hang.
- `compiled_translations`: the catalogs in translations/ compiled to a temporary folder.
"""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SMS_TOKEN = "test-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SMTP ------------------------------------------------------------------------


class RecordingSmtpHandler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[Envelope] = []
        self.refuse: str | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse and self.refuse.startswith("55"):
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse
        with self.lock:
            self.envelopes.append(envelope)
            self.messages.append(message_from_bytes(envelope.content or b""))
        return "250 Message accepted for delivery"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


@dataclass
class SmtpServer:
    host: str
    port: int
    handler: RecordingSmtpHandler

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    @property
    def refuse(self) -> str | None:
        return self.handler.refuse

    @refuse.setter
    def refuse(self, reply: str | None) -> None:
        self.handler.refuse = reply


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    handler = RecordingSmtpHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def smtp_tls_client_context(tls_certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(tls_certificate[0]))


@pytest.fixture
def smtp_tls_server(tls_certificate: tuple[Path, Path]) -> Iterator[SmtpServer]:
    cert, key = tls_certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    handler = RecordingSmtpHandler()
    port = free_port()
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


# --- SMS over HTTP -------------------------------------------------------------------


@dataclass
class SmsEndpoint:
    """State shared with the request handler threads. `mode` is "ok", "500", "400" or
    "hang" (sleep `hang_seconds` before answering, to make clients time out)."""

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


@pytest.fixture
def sms_endpoint() -> Iterator[SmsEndpoint]:
    state = SmsEndpoint()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _sms_handler(state))
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
        time.sleep(0)


# --- translations ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def compiled_translations(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("translations")
    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            catalog = read_po(f)
        out = target / po.parent.parent.name / "LC_MESSAGES"
        out.mkdir(parents=True)
        with (out / "messages.mo").open("wb") as f:
            write_mo(f, catalog)
    return target
