"""The answer deadline as a patient reads it: "until 09:30 today", "til kl. 09:30 i morgen",
"until Thursday 3 December at 09:30" — always with the time, in the service's time zone.

A date alone ("3 December") hides that a window before a session closes when the session
starts, often the same morning.
"""

from __future__ import annotations

import datetime as dt
import functools

from babel import dates

from fit_platform.i18n import get_locale
from fit_platform.i18n import gettext as _

# Weekday, day and month the way each language writes them in running text.
DAY_PATTERNS = {"nb": "EEEE d. MMMM", "nn": "EEEE d. MMMM", "en": "EEEE d MMMM"}


def deadline_text(expires_at: dt.datetime, now: dt.datetime, zone: dt.tzinfo) -> str:
    """ "until …" for a window that closes at `expires_at`, as seen at `now`."""
    local = expires_at.astimezone(zone)
    today = now.astimezone(zone).date()
    time = local.strftime("%H:%M")  # 24-hour clock in all three languages
    if local.date() == today:
        return _("until %(time)s today", time=time)
    if local.date() == today + dt.timedelta(days=1):
        return _("until %(time)s tomorrow", time=time)
    day = _day_text(local.date(), str(get_locale() or "nb"))
    return _("until %(day)s at %(time)s", day=day, time=time)


@functools.lru_cache(maxsize=512)
def _day_text(day: dt.date, language: str) -> str:
    # Babel reads the locale data and the pattern anew on each call; every open link shows
    # one of a few dozen dates in one of three languages, so each is formatted once.
    return dates.format_date(day, DAY_PATTERNS.get(language, DAY_PATTERNS["en"]), locale=language)
