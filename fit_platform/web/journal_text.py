"""Free text in the journal summary's text to paste into the patient record (EPR).

A walk copied the text into a record and found two seams: a note that ended in a full stop got
a second one from the template ("Ekstra time avtalt.. Merknad ved lukking"), and a goal or a
topic written on two lines put its second line at the left margin, where it read as an entry
of its own. `as_sentence` ends a note with one full stop; `continued` indents a text's later
lines under its entry.
"""

from __future__ import annotations

# A note that already ends a sentence (or a list of points the writer closed off) keeps it.
_SENTENCE_ENDS = (".", "!", "?", "…", ":")


def as_sentence(text: str) -> str:
    """`text` without trailing white space, ending with a full stop unless it ends a sentence."""
    text = text.rstrip()
    return text if not text or text.endswith(_SENTENCE_ENDS) else f"{text}."


def continued(text: str, indent: str = "  ") -> str:
    """`text` with each line after the first indented by `indent` (blank lines dropped), so it
    stays under the entry it belongs to in a plain-text list."""
    lines = [line.rstrip() for line in text.strip().splitlines() if line.strip()]
    return f"\n{indent}".join(lines)
