"""The export as files: every CSV column is in the versioned codebook; the default CSV opens in
Norwegian Excel (byte-order mark, semicolons, decimal commas); comma CSV and JSON by choice."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

from fit_platform.db import Database
from fit_platform.services.export import service_aggregates
from fit_platform.services.export_files import (
    CODEBOOK_PATH,
    CODEBOOK_VERSION,
    aggregates_csv,
    aggregates_json,
    csv_columns,
)
from tests.support.export_data import make_known_dataset

CODEBOOK = CODEBOOK_PATH
JUNE = {"period": "quarter", "start": dt.date(2026, 6, 1), "end": dt.date(2026, 6, 30)}


def test_every_csv_column_is_described_in_the_codebook_of_this_version() -> None:
    text = CODEBOOK.read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z0-9_]+)`", text))
    missing = [column for column in csv_columns() if column not in documented]
    assert missing == []
    assert f"Version **{CODEBOOK_VERSION}**" in text
    assert f"**{CODEBOOK_VERSION}**" in text.split("## Changes")[1]


def test_the_default_csv_has_a_byte_order_mark_semicolons_and_decimal_commas(db: Database) -> None:
    make_known_dataset(db)
    text = aggregates_csv(service_aggregates(db, **JUNE))  # type: ignore[arg-type]
    assert text.startswith("\ufeffunit_code;unit_name;")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == csv_columns()
    p = dict(zip(rows[0], next(row for row in rows if row[2] == "p"), strict=True))
    assert p["response_rate"] == "0,5"
    assert p["phq9_recovery_rate"] == "0,714"
    assert p["invitations_sent"] == "16"


def test_comma_csv_uses_points_and_no_byte_order_mark(db: Database) -> None:
    make_known_dataset(db)
    text = aggregates_csv(service_aggregates(db, **JUNE), "comma")  # type: ignore[arg-type]
    assert text.startswith("unit_code,unit_name,")
    assert ",p,Programme p,2026-Q2,8,16,8,0.5," in text


def test_json_carries_the_codebook_version_the_choice_and_numbers(db: Database) -> None:
    make_known_dataset(db)
    document = aggregates_json(
        service_aggregates(db, **JUNE),  # type: ignore[arg-type]
        choice={"period": "quarter", "start": "2026-06-01", "end": "2026-06-30", "unit": "all"},
    )
    document = json.loads(json.dumps(document))
    assert document["codebook_version"] == CODEBOOK_VERSION
    p = next(row for row in document["rows"] if row["programme_code"] == "p")
    assert list(p) == csv_columns()
    assert p["response_rate"] == 0.5 and p["invitations_sent"] == 16
    assert p["phq9_reliable_deterioration"] == "suppressed"
    assert document["rows"][-1]["unit_code"] == "all"
