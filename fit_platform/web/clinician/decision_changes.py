"""Correcting and withdrawing a samvalg record, on the clinician blueprint:

    GET/POST /clinician/episodes/<id>/decisions/<decision>/correct   rewrite its words
    GET/POST /clinician/episodes/<id>/decisions/<decision>/withdraw  withdraw it as written
                                                                    in error, with a reason

The rules (who may, what is kept, what the patient sees): `services/samvalg_changes.py`.
Each page opens with the record's words and the patient's name, a logged read.
"""

from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.extensions import get_db
from fit_platform.services.samvalg import (
    REVIEW_WITHIN,
    DecisionError,
    DecisionRefused,
    review_date_problem,
)
from fit_platform.services.samvalg_changes import (
    REASON_MAX_LENGTH,
    Correction,
    DecisionRecord,
    correct_decision,
    decision_record,
    withdraw_decision,
)
from fit_platform.web.clinician.blueprint import bp, clinic_today, clinical, review_date_message
from fit_platform.web.clinician.forms import DecisionCorrectionForm, DecisionWithdrawForm
from fit_platform.web.clock import now
from fit_platform.web.kept_typing import give_back_typing
from fit_platform.web.said_here import flash_at


def _record(episode_id: int, decision_id: int, *, correcting: bool) -> DecisionRecord:
    record = decision_record(
        get_db(), g.staff, episode_id, decision_id, now=now(), correcting=correcting
    )
    if record is None:
        abort(404)
    return record


def _back(episode_id: int, anchor: str = "decisions") -> Response:
    return redirect(url_for("clinician.presession_page", episode_id=episode_id) + "#" + anchor)


def _withdrawn_already(record: DecisionRecord) -> Response:
    flash_at(
        "decisions",
        _("This record was withdrawn as written in error: it can no longer be changed."),
    )
    return _back(record.episode_id)


@bp.route("/episodes/<int:episode_id>/decisions/<int:decision_id>/correct", methods=["GET", "POST"])
@clinical
def correct_decision_page(episode_id: int, decision_id: int) -> str | Response | tuple[str, int]:
    # An ended episode is read-only (`EpisodeClosed`); withdrawing a record written in error
    # stays possible there.
    record = _record(episode_id, decision_id, correcting=True)
    if record.withdrawn_at is not None:
        return _withdrawn_already(record)
    form = DecisionCorrectionForm(obj=record if request.method == "GET" else None)
    give_back_typing(form)  # typed before the session ended, sent to the login page
    error = None
    valid = form.validate_on_submit()
    # Only a changed date is held to "today, up to two years on" (as the service holds it):
    # correcting the words of a record whose review date has passed keeps that date.
    if (
        form.is_submitted()
        and not form.review_on.errors
        and form.review_on.data != record.review_on
    ):
        problem = review_date_problem(form.review_on.data, clinic_today())
        if problem is not None:
            form.review_on.errors = [review_date_message(problem)]
            valid = False
    if valid:
        try:
            changed = correct_decision(
                get_db(),
                g.staff,
                episode_id,
                decision_id,
                Correction(
                    options_discussed=form.options_discussed.data or "",
                    decision=form.decision.data or "",
                    what_matters=form.what_matters.data,
                    review_on=form.review_on.data,
                    visible_to_patient=bool(form.visible_to_patient.data),
                ),
                # The version this form was written against (a repeat of a saved form is
                # answered by the first save before the version is compared).
                version=int(form.version.data) if str(form.version.data).isdigit() else 0,
                today=clinic_today(),
                now=now(),
                form_nonce=form.form_nonce.data,
            )
        except DecisionRefused as refused:
            if refused.reason is DecisionError.NOT_FOUND:
                abort(404)
            if refused.reason is DecisionError.WITHDRAWN:
                return _withdrawn_already(record)
            if refused.reason in (DecisionError.REVIEW_IN_PAST, DecisionError.REVIEW_TOO_FAR):
                form.review_on.errors = [review_date_message(refused.reason)]
            elif refused.reason is DecisionError.CHANGED_MEANWHILE:
                # A colleague's correction was saved after this page was opened: the page shows
                # what the record says now, these words stay in the form, and a second save
                # replaces it knowingly. Read again: the colleague's save may have landed after
                # this request's first read, and the page (and the version the next save is
                # written against) must be what the save was refused for.
                record = _record(episode_id, decision_id, correcting=True)
                if record.withdrawn_at is not None:
                    return _withdrawn_already(record)
                error = _(
                    "Someone else corrected this record after you opened it. What it says now "
                    "is shown above; your words are kept in the form. Save again to replace it "
                    "with them."
                )
                form.version.data = str(record.version)
            else:
                error = _("The record could not be saved. Check the fields and try again.")
        else:
            flash_at(
                f"decision-{decision_id}",
                _("The samvalg record is corrected. What it said before is kept.")
                if changed
                else _("Nothing was changed: the record already says this."),
            )
            return _back(episode_id, f"decision-{decision_id}")
    status = 200 if request.method == "GET" or not (form.errors or error) else 400
    form.review_on.render_kw = {
        **(form.review_on.render_kw or {}),
        "max": (clinic_today() + REVIEW_WITHIN).isoformat(),
    }
    return render_template(
        "clinician/decision_correct.html", form=form, record=record, error=error
    ), status


@bp.route(
    "/episodes/<int:episode_id>/decisions/<int:decision_id>/withdraw", methods=["GET", "POST"]
)
@clinical
def withdraw_decision_page(episode_id: int, decision_id: int) -> str | Response | tuple[str, int]:
    record = _record(episode_id, decision_id, correcting=False)
    if record.withdrawn_at is not None:
        return _withdrawn_already(record)
    form = DecisionWithdrawForm()
    give_back_typing(form)
    if form.validate_on_submit():
        try:
            reopened = withdraw_decision(
                get_db(), g.staff, episode_id, decision_id, form.reason.data or "", now=now()
            )
        except DecisionRefused as refused:
            if refused.reason is DecisionError.NOT_FOUND:
                abort(404)
            form.reason.errors = [_("Write why the record is withdrawn.")]
        else:
            anchor = "signals" if reopened else "decisions"
            flash_at(anchor, _("The samvalg record is withdrawn. The patient no longer sees it."))
            if reopened:
                flash_at(
                    anchor,
                    _("The signal the record acknowledged is open again: follow it up."),
                    error=True,
                )
            return _back(episode_id, anchor)
    status = 200 if request.method == "GET" or not form.errors else 400
    return render_template(
        "clinician/decision_withdraw.html",
        form=form,
        record=record,
        reason_max=REASON_MAX_LENGTH,
    ), status
