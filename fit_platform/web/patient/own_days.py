"""The patient's own days in a day programme, on the patient blueprint:

    GET/POST /p/my-days    which of the programme's days the patient is asked on

Reached from the choices page; the same access rule as the goals page (an open link, or a
patient who has just proved who they are). Changes hold from the next scheduler tick.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fit_platform.domain.own_plan import RecordedBy
from fit_platform.extensions import get_db, limiter
from fit_platform.services import own_days
from fit_platform.services.answering import LinkContext, LinkStatus
from fit_platform.web.own_days_form import day_list, own_days_form
from fit_platform.web.patient.blueprint import (
    Page,
    _closed_page,
    _now,
    _progress_patient,
    bp,
    needs_link,
)


def _error(code: str) -> str:
    if code == "no_day":
        return _("Choose at least one day.")
    if code == "outside_programme":
        return _("Choose only days the programme runs.")
    return _("Your treatment has ended, so there is nothing to change. Ask your clinic.")


@bp.route("/my-days", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
@needs_link()
def my_days(ctx: LinkContext) -> Page:
    if not (ctx.status is LinkStatus.OPEN or _progress_patient() == ctx.patient_id):
        return _closed_page(ctx)
    state = own_days.own_days(get_db(), ctx.episode_id) if ctx.episode_id else None
    if state is None or not state.applies:
        return render_template("patient/own_days.html", ctx=ctx, state=None, form=None)
    form = own_days_form(state.programme_days, state.own_days, request.method == "POST")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                own_days.set_own_days(
                    get_db(),
                    state.episode_id,
                    frozenset(form.days.data or ()),
                    _now(),
                    by=RecordedBy.PATIENT,
                )
            except own_days.OwnDaysError as error:
                form.days.errors = [_error(error.code)]
            else:
                flash(_("Your days are saved. Questionnaires follow them from now on."))
                return redirect(url_for("patient.my_days"))
        status = 422
    return (
        render_template(
            "patient/own_days.html",
            ctx=ctx,
            state=state,
            form=form,
            programme=day_list(state.programme_days),
            mine=day_list(state.own_days),
        ),
        status,
    )
