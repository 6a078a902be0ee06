"""Cleaning of free text typed by patients (goals, topics, comments, reasons).

Text is stored as plain text and escaped on output. Before it is stored it is normalised to
NFC, NUL and other C0/C1 control characters are removed (keeping line breaks and tabs) and
line endings become ``\\n``. Format characters such as right-to-left marks are kept: patients
may write in Arabic, Farsi or Urdu, and the pages isolate user text with ``dir="auto"`` so a
stray mark cannot reorder the text around it.
"""

from __future__ import annotations

import unicodedata

_KEEP = {"\n", "\t"}


def clean_free_text(raw: str) -> str:
    """The text as it will be stored: NFC, no control characters, ``\\n`` line ends, trimmed."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    kept = (ch for ch in text if ch in _KEEP or unicodedata.category(ch) != "Cc")
    return "".join(kept).strip()
