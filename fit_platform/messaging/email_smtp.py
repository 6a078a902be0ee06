"""E-mail over SMTP (smtplib), with optional STARTTLS and login.

The Message-ID is derived from the outbox key, so a message re-sent after a crash
between "sent" and "recorded" carries the same Message-ID as the first copy and the
receiving side can drop it. SMTP gives no way to ask whether a message was taken, so
this channel cannot look sends up (`can_lookup = False`).

The e-mail comes from the one address the service sends from (`FIT_MAIL_FROM`), under the
name the message was written with: the unit's sender name, or the neutral default, never the
clinic's full name (`messaging/texts.py`).
"""

from __future__ import annotations

import hashlib
import smtplib
import ssl
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from fit_platform.messaging.channels import (
    OutgoingMessage,
    PermanentFailure,
    SendReceipt,
    TemporaryFailure,
)


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    sender: str = "no-reply@localhost"
    starttls: bool = True
    username: str | None = None
    password: str | None = None
    timeout_seconds: float = 20.0
    ssl_context: ssl.SSLContext | None = None
    message_id_domain: str | None = None


def message_id(reference: str, domain: str) -> str:
    """A Message-ID that depends only on the outbox key and the sending domain."""
    digest = hashlib.sha256(reference.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@{domain}>"


class SmtpEmailChannel:
    name = "email"
    can_lookup = False

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    def build(self, message: OutgoingMessage) -> EmailMessage:
        config = self._config
        domain = config.message_id_domain or config.sender.rpartition("@")[2] or "localhost"
        email = EmailMessage()
        email["From"] = formataddr((_one_line(message.sender_name), config.sender))
        email["To"] = message.to
        email["Subject"] = message.subject or ""
        email["Date"] = formatdate(usegmt=True)
        email["Message-ID"] = message_id(message.reference, domain)
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(message.text)
        return email

    def send(self, message: OutgoingMessage) -> SendReceipt:
        email = self.build(message)
        config = self._config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds) as smtp:
                if config.starttls:
                    smtp.starttls(context=config.ssl_context or ssl.create_default_context())
                if config.username:
                    smtp.login(config.username, config.password or "")
                smtp.send_message(email)
        except smtplib.SMTPAuthenticationError as exc:
            # Our configuration, not this message: keep it queued until someone fixes it.
            raise TemporaryFailure(f"smtp login refused: {exc.smtp_code}") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise _by_code(min(codes, default=550), "recipient refused") from exc
        except smtplib.SMTPResponseException as exc:
            raise _by_code(exc.smtp_code, "smtp server refused") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TemporaryFailure(f"smtp unavailable: {type(exc).__name__}") from exc
        return SendReceipt(provider_id=str(email["Message-ID"]))

    def lookup(self, reference: str) -> SendReceipt | None:
        return None


def _one_line(name: str) -> str:
    """A display name fit for a header: control characters become spaces, and runs of spaces
    one. The unit page cleans a sender name as it saves it; a name stored otherwise (by hand,
    or before that) with a line break in it would make the e-mail library refuse the header,
    and so every e-mail of its unit."""
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in name).split())


def _by_code(code: int, what: str) -> TemporaryFailure | PermanentFailure:
    if 400 <= code < 500:
        return TemporaryFailure(f"{what}: {code}")
    return PermanentFailure(f"{what}: {code}")
