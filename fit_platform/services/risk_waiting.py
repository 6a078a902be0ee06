"""The one SQL condition for a risk signal still waiting for someone: a risk answer's signal
nobody has acknowledged or resolved. The caseload's overdue list (`caseload_queries`), the
list of unattended patients (`unattended`) and the administrator's episodes page, which asks
before closing such an episode (`episodes_admin`), all ask it this way."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from fit_platform.db.models import Signal
from fit_platform.domain.signals import SignalCode


def risk_not_acknowledged() -> ColumnElement[bool]:
    """True for a `Signal` row that is an open risk signal nobody has acknowledged."""
    return and_(
        Signal.code == SignalCode.RISK_ANSWER.value,
        Signal.acknowledged_at.is_(None),
        Signal.resolved_at.is_(None),
    )
