"""What small-cell suppression costs: shown cells per figure on the demo's synthetic history.

    PYTHONPATH=. python benchmarks/export_suppression_cost.py

Seeds the demo's two-year service history (`fit-platform demo`'s) into a throwaway SQLite
database and counts, by month and by quarter over the two years to 2026-Q3, the rows and the
cells of each figure that are shown (not hidden). Run it on two versions of the code to see
what a rule costs (docs/export.md, "Small-cell suppression")."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fit_platform.db import Base, Database
from fit_platform.db.session import make_engine
from fit_platform.services.demo_history import seed_demo_service_history
from fit_platform.services.export import service_aggregates

NOW = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
START, END = dt.date(2024, 10, 1), dt.date(2026, 9, 30)


def _outcome(instrument: str) -> Callable[[Any], Any]:
    def read(row: Any) -> Any:
        [found] = [o for o in row.outcomes if o.instrument_id == instrument]
        return found.patients_with_two_scores

    return read


def _inside(instrument: str, name: str) -> Callable[[Any], Any]:
    """A count inside the row's figures of one instrument (reliably improved, ...)."""

    def read(row: Any) -> Any:
        [found] = [o for o in row.outcomes if o.instrument_id == instrument]
        return getattr(found, name)

    return read


def _alliance(row: Any) -> Any:
    return dict(row.alliance_mean)["wai_sr"]


FIGURES: dict[str, Callable[[Any], Any]] = {
    "patients_invited": lambda row: row.patients_invited,
    "phq9_patients_with_two_scores": _outcome("phq9"),
    "gad7_patients_with_two_scores": _outcome("gad7"),
    "nhstt_paired_patients": lambda row: row.paired.patients if row.paired else None,
    "wai_sr_mean_score": _alliance,
    "signals_raised": lambda row: row.signals.raised if row.signals else None,
    "median_hours_to_acknowledge_risk": lambda row: row.median_hours_to_acknowledge_risk,
    "service_comments": lambda row: row.service_comments,
    "phq9_reliable_improvement": _inside("phq9", "reliable_improvement"),
    "phq9_reliable_deterioration": _inside("phq9", "reliable_deterioration"),
    "phq9_recovery_eligible": _inside("phq9", "recovery_eligible"),
    "gad7_reliable_improvement": _inside("gad7", "reliable_improvement"),
    "gad7_recovery_eligible": _inside("gad7", "recovery_eligible"),
    "nhstt_paired_at_caseness": lambda row: row.paired.at_caseness if row.paired else None,
    "nhstt_paired_reliable_improvement": (
        lambda row: row.paired.reliable_improvement if row.paired else None
    ),
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'cost.sqlite3'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        engine.dispose()
        db = Database(url)
        seed_demo_service_history(db, NOW)
        print("| figure | by month, shown | by quarter, shown |")
        print("|---|---|---|")
        counts: dict[str, list[str]] = {name: [] for name in ("rows", *FIGURES)}
        for period in ("month", "quarter"):
            rows = service_aggregates(db, period=period, start=START, end=END)
            counts["rows"].append(str(len(rows)))
            for name, read in FIGURES.items():
                cells = [read(row) for row in rows]
                shown = [c for c in cells if c is not None and not c.suppressed]
                counts[name].append(str(len(shown)))
        for name, found in counts.items():
            print(f"| {name} | {found[0]} | {found[1]} |")
        db.dispose()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
