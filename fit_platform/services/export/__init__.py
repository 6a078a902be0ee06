"""De-identified aggregates for service developers, per unit, programme and period.

Who may call it: the export pages (service developers and administrators) and the CLI. Nothing
in the result identifies a person: no patient ids, names, external ids or free text, and no date
finer than the period. Every figure is computed in a fixed number of set-based queries (six,
whatever the size of the data) and then passed through the small-cell rule in
:mod:`fit_platform.domain.small_cells`. The columns are documented in docs/export.md and
fit_platform/services/export/codebook.md; the files (CSV, JSON) are written by
:mod:`fit_platform.services.export_files`.

The package is split by capability: :mod:`.queries` (the six queries), :mod:`.assemble`
(tallying into rows and totals), :mod:`.outcomes` (change and recovery), :mod:`.signals`
(time to act), :mod:`.medians` (medians in SQL), :mod:`.suppression` (across rows, totals and
the months of a quarter), :mod:`.periods` and :mod:`.rows`; :mod:`.summary` builds the summary
of closed months that :mod:`.sources` reads with the rows after it; :mod:`.trends` turns the
rows into series for the start page and the trend report.
"""

from fit_platform.services.export.periods import PERIODS, Period, period_bounds, previous_period
from fit_platform.services.export.queries import (
    export_instruments,
    service_aggregates,
    unit_id_for_code,
)
from fit_platform.services.export.rows import (
    ALL,
    ALL_CODE,
    NO_PROGRAMME,
    NON_RESPONSE_REASONS,
    NOT_APPLICABLE,
    AggregateRow,
    OutcomeAggregate,
    PairedAggregate,
    SignalAggregate,
)
from fit_platform.services.export.summary import SummaryRun, refresh_export_summary

__all__ = [
    "ALL",
    "ALL_CODE",
    "NON_RESPONSE_REASONS",
    "NOT_APPLICABLE",
    "NO_PROGRAMME",
    "PERIODS",
    "AggregateRow",
    "OutcomeAggregate",
    "PairedAggregate",
    "Period",
    "SignalAggregate",
    "SummaryRun",
    "export_instruments",
    "period_bounds",
    "previous_period",
    "refresh_export_summary",
    "service_aggregates",
    "unit_id_for_code",
]
