"""One answer for every change refused on an ended episode (`access_control.EpisodeClosed`).

The service raised inside its transaction, so nothing was written. The therapist is sent back
to the episode's pre-session view, which still reads the whole record and says when the episode
was closed, with the reason at the top of the page."""

from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, flash, g, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.services.access_control import EpisodeClosed
from fit_platform.web.formatting import format_date

log = logging.getLogger(__name__)


def closed_message(ended_on: dt.date | None) -> str:
    if ended_on is None:
        return str(
            _(
                "This episode is closed. It can still be read, but nothing can be planned or "
                "changed in it."
            )
        )
    return str(
        _(
            "This episode was closed on %(date)s. It can still be read, but nothing can be "
            "planned or changed in it.",
            date=format_date(ended_on, "medium"),
        )
    )


def register_episode_closed_handler(app: Flask) -> None:
    @app.errorhandler(EpisodeClosed)
    def episode_closed(error: EpisodeClosed) -> Response:
        staff = getattr(g, "staff", None)
        log.info(
            "change refused on a closed episode",
            extra={
                "event": "closed_episode_change_refused",
                "episode_id": error.episode_id,
                "staff_id": staff.staff_id if staff is not None else None,
            },
        )
        flash(closed_message(error.ended_on), "error")
        # 303: the browser follows with a GET, so a reload does not post the form again.
        return redirect(url_for("clinician.presession_page", episode_id=error.episode_id), code=303)
