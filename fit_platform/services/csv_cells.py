"""One rule for every CSV file the application writes (the access log, the aggregates export
on the web and from `fit-platform export`): a text cell that a spreadsheet would run as a
formula is written as text.

Excel and LibreOffice treat a cell starting with = + - @ (and, in some versions, a tab or a
carriage return) as a formula, so a unit or programme named ``=HYPERLINK(...)`` would run when
the file is opened (CSV injection). A leading apostrophe makes the cell plain text and is not
shown. Numbers are written by the caller and never passed here: "-1,5" stays a number.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """`value` as a CSV text cell that no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
