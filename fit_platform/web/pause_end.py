"""The last day of a patient's pause, in the words staff read.

``paused_until`` is the last paused day, inclusive: the patient picked "Pause til og med 18.
desember" and was told questionnaires start again the day after. "On pause until 18 Dec"
reads as the day the pause ends, so a therapist could tell her the wrong restart day; staff
pages say "to and including" and the day questionnaires start again, except for a closed
episode: nothing is sent for it any more, so the page says the episode is closed instead.
"""

from __future__ import annotations

import datetime as dt

from babel import dates
from flask_babel import gettext as _

from fit_platform.web.formatting import format_date, formatting_locale


def pause_end(until: dt.date, fmt: str = "medium", *, closed: bool = False) -> str:
    """ "to and including 18 Dec 2026 (questionnaires again from 19 Dec)", or for a closed
    episode "to and including 18 Dec 2026 (episode closed)"."""
    if closed:
        return str(_("to and including %(date)s (episode closed)", date=format_date(until, fmt)))
    again = dates.format_skeleton("MMMd", until + dt.timedelta(days=1), locale=formatting_locale())
    return str(
        _(
            "to and including %(date)s (questionnaires again from %(again)s)",
            date=format_date(until, fmt),
            again=again,
        )
    )
