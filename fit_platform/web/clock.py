"""The time pages work with. Production reads the real clock; a test sets a clock on the
app (`app.extensions["fit_clock"] = lambda: fixed_utc_datetime`) so that pages saying
"today" or "tomorrow" can be checked at any hour."""

from __future__ import annotations

import datetime as dt

from fit_platform.context_objects import this_app


def now() -> dt.datetime:
    clock = this_app().extensions.get("fit_clock")  # read a few times on every patient page
    return clock() if clock is not None else dt.datetime.now(dt.UTC)


def epoch_seconds() -> int:
    """The page clock as whole seconds since 1970, for deadlines kept in the session cookie
    (a login step's wait, a progress grant): the same time the pages and the session check
    use, so a test's clock moves them too."""
    return int(now().timestamp())
