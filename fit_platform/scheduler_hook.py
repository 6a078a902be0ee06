"""Start the scheduler clock inside the demo process (production runs `fit-platform scheduler`)."""

from __future__ import annotations

from apscheduler.schedulers.background import BackgroundScheduler

from fit_platform.config import Settings


def start_background_clock(settings: Settings) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.start()
    return scheduler
