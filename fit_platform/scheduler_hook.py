"""Start the scheduler clock inside the demo process (production runs `fit-platform scheduler`)."""

from __future__ import annotations

import datetime as dt

from apscheduler.schedulers.base import BaseScheduler

from fit_platform.config import Settings
from fit_platform.db import Database
from fit_platform.messaging.setup import dispatcher_from_settings, message_files_folder
from fit_platform.scheduler.clock import build_scheduler


def start_background_clock(settings: Settings) -> BaseScheduler:
    """The same jobs as `fit-platform scheduler`, in a background thread. Without an SMS
    gateway or SMTP relay configured, messages fail visibly ("no channel configured")."""
    db = Database(settings.database_url)
    scheduler = build_scheduler(
        db,
        dispatcher_from_settings(db, settings),
        escalate_after=dt.timedelta(hours=settings.risk_escalation_hours),
        min_window=settings.min_answer_window,
        retention_limits=settings.retention,
        message_files=message_files_folder(settings),
        zone=settings.zone,
    )
    scheduler.start()
    return scheduler
