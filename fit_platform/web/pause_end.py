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
from flask_babel import get_timezone
from flask_babel import gettext as _

from fit_platform.web.clock import now
from fit_platform.web.formatting import format_date, formatting_locale


def pause_end(until: dt.date, fmt: str = "medium", *, closed: bool = False) -> str:
    """ "to and including 18 Dec 2026 (questionnaires again from 19 Dec)" (the restart day
    with its year when that is not this year), or for a closed episode "to and including
    18 Dec 2026 (episode closed)"."""
    if closed:
        return str(_("to and including %(date)s (episode closed)", date=format_date(until, fmt)))
    restart = until + dt.timedelta(days=1)
    # The restart day without its year reads as this year's: a pause into next year names it
    # ("8 Dec 2027"), or a therapist reads a restart two days away for one a year away.
    this_year = now().astimezone(get_timezone()).year
    skeleton = "MMMd" if restart.year == this_year else "yMMMd"
    again = dates.format_skeleton(skeleton, restart, locale=formatting_locale())
    return str(
        _(
            "to and including %(date)s (questionnaires again from %(again)s)",
            date=format_date(until, fmt),
            again=again,
        )
    )
