"""`fit-platform export`: the service figures as a file, for scheduled use (cron, a job runner).

The same figures, suppression and columns as the export page (the codebook:
fit_platform/services/export/codebook.md), and the same audit row, recorded as written by the
command.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from fit_platform.process_settings import start_process


@click.command("export")
@click.option("--unit", "unit_code", default="all", show_default=True, help="A unit code, or all.")
@click.option(
    "--period", type=click.Choice(["month", "quarter"]), default="quarter", show_default=True
)
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), help="Default: the last whole period.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), help="Default: the last whole period.")
@click.option(
    "--format", "file_format", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--separator",
    type=click.Choice(["semicolon", "comma"]),
    default="semicolon",
    show_default=True,
    help="CSV only: semicolon with a byte-order mark and decimal commas (Norwegian Excel), "
    "or comma.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def export_command(
    unit_code: str,
    period: str,
    start: dt.datetime | None,
    end: dt.datetime | None,
    file_format: str,
    separator: str,
    output: Path | None,
) -> None:
    """Write the de-identified service figures as CSV or JSON."""
    from fit_platform.db import Database
    from fit_platform.services.export import (
        Period,
        previous_period,
        service_aggregates,
        unit_id_for_code,
    )
    from fit_platform.services.export_audit import record_export
    from fit_platform.services.export_files import aggregates_csv, aggregates_json

    settings = start_process("export")
    chosen: Period = "month" if period == "month" else "quarter"
    now = dt.datetime.now(dt.UTC)
    first, last = previous_period(chosen, now.date())
    start_date = start.date() if start else first
    end_date = end.date() if end else last
    if end_date < start_date:
        raise click.BadParameter("the end is before the start", param_hint="--end")
    db = Database(settings.database_url)
    try:
        unit_id = None
        if unit_code != "all":
            unit_id = unit_id_for_code(db, unit_code)
            if unit_id is None:
                raise click.BadParameter(f"no unit has the code {unit_code!r}", param_hint="--unit")
        rows = service_aggregates(
            db,
            period=chosen,
            start=start_date,
            end=end_date,
            unit_id=unit_id,
            zone=settings.zone,
        )
        if file_format == "json":
            choice = {
                "period": chosen,
                "start": start_date.isoformat(),
                "end": end_date.isoformat(),
                "unit": unit_code,
            }
            text = json.dumps(aggregates_json(rows, choice=choice), ensure_ascii=False, indent=1)
        else:
            text = aggregates_csv(rows, "comma" if separator == "comma" else "semicolon")
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text, encoding="utf-8", newline="")
        record_export(
            db,
            staff_id=None,
            file_format=file_format if file_format == "json" else f"csv-{separator}",
            period=chosen,
            start=start_date,
            end=end_date,
            unit_id=unit_id,
            rows=len(rows),
            now=now,
        )
    finally:
        db.dispose()
