"""The service-developer export as files: CSV for spreadsheets and JSON for programs.

Every column is described in the codebook, :data:`CODEBOOK_PATH` (package data, served at
``/export/codebook``), whose version is :data:`CODEBOOK_VERSION`
(raise it when a column is added, renamed or changes meaning). A suppressed cell is written as
``suppressed`` (fewer than five patients) or ``suppressed_secondary`` (enough patients, hidden
only so that other hidden cells cannot be worked out), a cell that does not apply is empty
(CSV) or null (JSON).

Norwegian Excel opens a CSV by double click only if it starts with a byte-order mark and uses
``;`` between fields and a decimal comma, so that is the default; ``,`` with a decimal point is
the choice for other programs.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from fit_platform.domain.small_cells import Cell
from fit_platform.services.csv_cells import safe_cell
from fit_platform.services.export import (
    NON_RESPONSE_REASONS,
    AggregateRow,
    export_instruments,
)

# Year, month and a running number within the month (the tenth version of December 2026), not
# a date.
CODEBOOK_VERSION = "2026.12.12"
# Inside the package (pyproject.toml's package-data), so an installed wheel has it too.
CODEBOOK_PATH = Path(__file__).resolve().parent / "export" / "codebook.md"
Separator = Literal["semicolon", "comma"]
SEPARATORS: tuple[Separator, ...] = ("semicolon", "comma")
BOM = "\ufeff"

SUPPRESSED = "suppressed"
SUPPRESSED_SECONDARY = "suppressed_secondary"


def _marker(value: Cell) -> str:
    return SUPPRESSED_SECONDARY if value.secondary else SUPPRESSED


OUTCOME_FIELDS = (
    "patients_with_two_scores",
    "mean_improvement",
    "reliable_improvement",
    "reliable_deterioration",
    "recovery_eligible",
    "recovery_rate",
    "mean_first_score",
    "mean_latest_score",
    "reliable_recovery_rate",
)
SIGNAL_FIELDS = (
    "raised",
    "acknowledged_share",
    "median_hours_to_acknowledge",
    "median_hours_to_resolve",
)
PAIRED_FIELDS = (
    "patients",
    "at_caseness",
    "recovery_rate",
    "reliable_recovery_rate",
    "reliable_improvement",
    "reliable_deterioration",
)


def csv_columns() -> list[str]:
    """The CSV header: stable English snake_case names (see docs/export.md)."""
    outcome_instruments, alliance_instruments = export_instruments()
    columns = [
        "unit_code",
        "unit_name",
        "programme_code",
        "programme_name",
        "period",
        "patients_invited",
        "invitations_sent",
        "invitations_answered",
        "response_rate",
        "invitations_expired",
        "invitations_declined",
    ]
    columns += [f"non_response_{name}" for name in NON_RESPONSE_REASONS]
    for instrument in outcome_instruments:
        columns += [f"{instrument.id}_{name}" for name in OUTCOME_FIELDS]
    columns += [f"nhstt_paired_{name}" for name in PAIRED_FIELDS]
    columns += [f"{instrument.id}_mean_score" for instrument in alliance_instruments]
    columns.append("median_hours_to_acknowledge_risk")
    columns += [f"signals_{name}" for name in SIGNAL_FIELDS]
    columns.append("consent_paused_or_stopped_share")
    columns.append("service_comments")
    return columns


def _text(value: Cell, decimal_comma: bool = False) -> str:
    if value.suppressed:
        return _marker(value)
    if value.value is None:
        return ""
    number = value.value
    text = str(int(number)) if float(number).is_integer() else str(number)
    return text.replace(".", ",") if decimal_comma else text


def _row_cells(row: AggregateRow) -> Iterable[Cell | str]:
    yield from (row.unit_code, row.unit_name, row.programme_code, row.programme_name, row.period)
    hidden = Cell(None, True)
    yield from (
        row.patients_invited,
        row.invitations_sent,
        row.invitations_answered,
        row.response_rate,
        row.invitations_expired,
        row.invitations_declined,
    )
    reasons = dict(row.non_response)
    for name in NON_RESPONSE_REASONS:
        yield reasons.get(name, hidden)
    for outcome in row.outcomes:
        for name in OUTCOME_FIELDS:
            yield getattr(outcome, name)
    for name in PAIRED_FIELDS:
        yield getattr(row.paired, name) if row.paired is not None else hidden
    for _instrument_id, mean in row.alliance_mean:
        yield mean
    yield row.median_hours_to_acknowledge_risk
    for name in SIGNAL_FIELDS:
        yield getattr(row.signals, name) if row.signals is not None else hidden
    yield row.consent_paused_or_stopped_share
    yield row.service_comments


def _csv_cell(value: Cell | str, semicolon: bool) -> str:
    return safe_cell(value) if isinstance(value, str) else _text(value, decimal_comma=semicolon)


def aggregates_csv(rows: Sequence[AggregateRow], separator: Separator = "semicolon") -> str:
    """The rows as CSV: a header line, then one line per row; suppressed cells say 'suppressed',
    cells that do not apply are empty. ``semicolon`` (the default) starts with a byte-order mark
    and writes decimal commas, for Norwegian Excel; ``comma`` writes plain CSV with points."""
    semicolon = separator == "semicolon"
    out = io.StringIO()
    if semicolon:
        out.write(BOM)
    writer = csv.writer(out, delimiter=";" if semicolon else ",", lineterminator="\r\n")
    writer.writerow(csv_columns())
    for row in rows:
        # Names are text a user typed; a formula among them must not run (CSV injection).
        writer.writerow([_csv_cell(value, semicolon) for value in _row_cells(row)])
    return out.getvalue()


def _json_value(value: Cell | str) -> Any:
    if isinstance(value, str):
        return value
    if value.suppressed:
        return _marker(value)
    if value.value is None:
        return None
    number = value.value
    return int(number) if float(number).is_integer() else number


def aggregates_json(rows: Sequence[AggregateRow], *, choice: dict[str, str]) -> dict[str, Any]:
    """The rows as a JSON document: the codebook version, the choice that made them (period,
    range, unit) and one object per row with the CSV's column names and numbers as numbers."""
    columns = csv_columns()
    return {
        "codebook": "/export/codebook",
        "codebook_version": CODEBOOK_VERSION,
        "choice": choice,
        "suppressed_marker": SUPPRESSED,
        "suppressed_secondary_marker": SUPPRESSED_SECONDARY,
        "rows": [
            dict(zip(columns, (_json_value(value) for value in _row_cells(row)), strict=True))
            for row in rows
        ],
    }
