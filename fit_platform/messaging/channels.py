"""The port every delivery channel implements, and the errors it may raise.

A channel sends one message and either returns the provider's id for it or raises
`TemporaryFailure` (worth retrying later) or `PermanentFailure` (retrying will not
help: bad number, rejected address). Anything else is a bug and propagates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to one recipient.

    `reference` is the outbox key (unique per invitation, kind and sequence); channels
    pass it to the provider so a send can be recognised again after a crash.
    """

    reference: str
    to: str
    text: str
    subject: str | None = None
    # The name an e-mail shows beside its sender address (a text message's sender is the
    # gateway's setting, FIT_SMS_SENDER).
    sender_name: str = ""


@dataclass(frozen=True)
class SendReceipt:
    provider_id: str


class DeliveryError(Exception):
    """Base for failures a channel reports on purpose."""


class TemporaryFailure(DeliveryError):
    """The provider could not take the message now (5xx, timeout, connection refused)."""


class UnknownOutcome(TemporaryFailure):
    """The request may have reached the provider and been taken, but no answer came (a
    read timeout, a dropped connection). Never re-send blindly: look it up first."""


class PermanentFailure(DeliveryError):
    """The provider refused the message for good (4xx, invalid recipient)."""


# What the adapters write as an error (sms_http.py, email_smtp.py) and the dispatcher's own
# reasons: a fixed lower-case phrase, then perhaps a status code or an exception's class
# (`smtp unavailable: gaierror`, `smtp server refused: 500`, `sms provider answered 503`).
# Such a text names no recipient and no content; a phone number, an address or a
# provider's own words cannot match it.
_LOGGABLE_REASON = re.compile(
    r"[a-z][a-z ]{1,60}[a-z](?:: (?:\d{3}|[A-Za-z_][A-Za-z0-9_]{0,40})| \d{3})?"
)


def loggable_reason(error_text: str | None) -> str:
    """The reason a send failed, for a log line: the text kept in the outbox row's
    `last_error` when it has the adapters' shape, else "unrecognised error"."""
    text = (error_text or "").strip()
    return text if _LOGGABLE_REASON.fullmatch(text) else "unrecognised error"


class Channel(Protocol):
    """`can_lookup` says whether `lookup` can tell if a send went through. Channels
    that cannot (SMTP) are re-sent on reconciliation with the same idempotency key
    (for e-mail: the same Message-ID), so the receiving side can drop the copy."""

    name: str
    can_lookup: bool

    def send(self, message: OutgoingMessage) -> SendReceipt: ...

    def lookup(self, reference: str) -> SendReceipt | None:
        """The receipt of an earlier send with this reference, None if the provider has
        no record of it. Raises `TemporaryFailure` when the provider cannot tell now."""
        ...
