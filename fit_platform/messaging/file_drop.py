"""A demo channel: each message becomes a text file in a folder instead of an SMS or e-mail.

Used only by `fit-platform demo` when no SMS gateway or SMTP relay is configured, so the
scheduler and dispatcher can be watched end to end on one machine. The files hold the
links (that is what a message is), so the folder lives in the demo's instance folder.

They are kept as long as an outbox row's details (`FIT_RETENTION_OUTBOX_DAYS`): the
scheduler's clean-up, which also runs as soon as the demo starts, removes older ones
(`remove_old_message_files`), so a demo left running, or started again now and then, does
not pile them up forever.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

from fit_platform.messaging.channels import OutgoingMessage, SendReceipt

log = logging.getLogger(__name__)

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


def remove_old_message_files(folder: Path, now: dt.datetime, keep: dt.timedelta) -> int:
    """Delete this channel's message files written before `now - keep`; returns how many.

    Only files this module writes (`*.sms.txt`, `*.email.txt`) are touched, so a folder
    someone pointed elsewhere by mistake loses nothing else. Age is the file's modification
    time, compared with the scheduler's clock."""
    if not folder.is_dir():
        return 0
    cutoff = (now - keep).timestamp()
    removed = 0
    for path in [*folder.glob("*.sms.txt"), *folder.glob("*.email.txt")]:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # a second clock removed it first
            continue
    if removed:
        log.info(
            "old demo message files removed",
            extra={"event": "message_files_removed", "removed": removed},
        )
    return removed
