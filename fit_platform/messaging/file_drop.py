"""A demo channel: each message becomes a text file in a folder instead of an SMS or e-mail.

Used only by `fit-platform demo` when no SMS gateway or SMTP relay is configured, so the
scheduler and dispatcher can be watched end to end on one machine. The files hold the
links (that is what a message is), so the folder lives in the demo's instance folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from fit_platform.messaging.channels import OutgoingMessage, SendReceipt

_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


class FileDropChannel:
    can_lookup = True

    def __init__(self, folder: Path, name: str) -> None:
        self.folder = folder
        self.name = name

    def _path(self, reference: str) -> Path:
        return self.folder / f"{_SAFE.sub('_', reference)}.{self.name}.txt"

    def send(self, message: OutgoingMessage) -> SendReceipt:
        self.folder.mkdir(parents=True, exist_ok=True)
        lines = [f"To: {message.to}"]
        if message.subject:
            lines.append(f"Subject: {message.subject}")
        self._path(message.reference).write_text("\n".join([*lines, "", message.text, ""]))
        return SendReceipt(provider_id=f"file:{message.reference}")

    def lookup(self, reference: str) -> SendReceipt | None:
        return SendReceipt(f"file:{reference}") if self._path(reference).exists() else None
