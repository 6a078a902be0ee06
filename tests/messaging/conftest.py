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

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from tests.support.sms_endpoint import SMS_TOKEN, SmsEndpoint, serve_sms_endpoint

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["SMS_TOKEN", "SmsEndpoint", "sms_endpoint", "smtp_server"]


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
            # Without decode_data the server keeps the message as bytes.
            content = envelope.content or b""
            assert isinstance(content, bytes)
            self.messages.append(message_from_bytes(content))
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
    # The README's test command installs openssl; a missing one is a broken set-up, not a skip.
    assert shutil.which("openssl"), "openssl is needed to make a test certificate"
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


@pytest.fixture
def sms_endpoint() -> Iterator[SmsEndpoint]:
    with serve_sms_endpoint() as endpoint:
        yield endpoint


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
