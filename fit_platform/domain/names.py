"""When two names people pick from a list are the same name.

The database's `lower()` folds only ASCII on SQLite and on a C-locale PostgreSQL, so
"Østfold DPS" and "ØSTFOLD DPS" passed as different; the comparison is made here instead.
"""

from __future__ import annotations

import unicodedata


def name_key(name: str) -> str:
    """``name`` as compared for uniqueness: one Unicode form (a composed and a decomposed "Å"
    are the same letter), case folded in every alphabet, white space collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
