"""The therapist side: caseload, pre-session view, signal workflow and samvalg record.

The whole URL map of the feature is here. Views are thin: check the role, parse, call a
service, render. Which patients a user may see is decided in the services' queries
(`visible_episodes`); an episode outside it answers 404, the same as one that does not exist.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from fit_platform.domain.codes import Role
from fit_platform.domain.signals import SignalCode
from fit_platform.extensions import get_db
from fit_platform.i18n import labels_as_text
from fit_platform.services.access_control import EpisodeClosed
from fit_platform.services.access_log import Action
from fit_platform.services.caseload import caseload, default_scope
from fit_platform.services.caseload_rows import (
    CaseloadQuery,
    CaseloadScope,
    CaseloadShow,
    CaseloadSort,
)
from fit_platform.services.ended_episodes import SHOWN, ended_episodes
from fit_platform.services.journal_summary import journal_summary
from fit_platform.services.presession import presession
from fit_platform.services.samvalg import (
    REVIEW_WITHIN,
    DecisionDraft,
    DecisionError,
    DecisionRefused,
    record_decision,
    review_date_problem,
)
from fit_platform.services.score_history import score_history
from fit_platform.services.signal_workflow import (
    NOTE_MAX_LENGTH,
    SignalActionError,
    SignalActionRefused,
    acknowledge_signal,
    resolve_signal,
)
from fit_platform.signal_texts import (
    SIGNAL_EXPLANATIONS,
    SIGNAL_EXPLANATIONS_ACKNOWLEDGED,
    SIGNAL_TITLES,
)
from fit_platform.web import labels
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clinician import presenters, score_chart, score_tables
from fit_platform.web.clinician.forms import CaseloadFilterForm, DecisionForm
from fit_platform.web.clinician.own_plan_shown import ChoiceProblem
from fit_platform.web.clinician.review_due import reviews_due
from fit_platform.web.clinician.signal_note import NoteProblem, UnplacedNote, kept_note_given_back
from fit_platform.web.clock import now
from fit_platform.web.inputs import small_int
from fit_platform.web.kept_typing import give_back_typing
from fit_platform.web.said_here import flash_at

bp = Blueprint("clinician", __name__, url_prefix="/clinician", template_folder="templates")

clinical = login_required(Role.THERAPIST, Role.UNIT_LEAD)


def _signal_error(reason: SignalActionError) -> str:
    messages = {
        SignalActionError.NOTE_REQUIRED: _(
            "Write what was done before you acknowledge a risk signal."
        ),
        SignalActionError.ALREADY_ACKNOWLEDGED: _("This signal was already acknowledged."),
        SignalActionError.ALREADY_RESOLVED: _("This signal was already resolved."),
        SignalActionError.RISK_NOT_ACKNOWLEDGED: _(
            "Acknowledge a risk signal before you resolve it."
        ),
    }
    return messages[reason]


def _language() -> str:
    return str(get_locale() or "nb")


def clinic_today() -> dt.date:
    return now().astimezone(settings().zone).date()


@bp.route("/")
@clinical
def caseload_page() -> str:
    form = CaseloadFilterForm(request.args)
    form.scope.data = form.scope.data or default_scope(g.staff).value
    # A stale bookmark (a sort or filter renamed or removed) shows the default with a note,
    # never a 400 page: nothing is changed by these parameters.
    stale_filter = bool(request.args) and not form.validate()
    for name, default in (
        ("sort", CaseloadSort.PRIORITY.value),
        ("show", CaseloadShow.ALL.value),
        ("scope", default_scope(g.staff).value),
    ):
        if form[name].errors:
            form[name].data, form[name].errors = default, []
    treats = any(role is Role.THERAPIST for role, _unit in g.staff.roles)
    if not treats:  # a lead without patients of her own: "My patients" would be empty
        form.scope.data = CaseloadScope.UNIT.value
    result = caseload(
        get_db(),
        g.staff,
        CaseloadQuery(
            sort=CaseloadSort(form.sort.data or CaseloadSort.PRIORITY),
            show=CaseloadShow(form.show.data or CaseloadShow.ALL),
            scope=CaseloadScope(form.scope.data),
        ),
        escalation_after=dt.timedelta(hours=settings().risk_escalation_hours),
        now=now(),
        zone=settings().zone,
    )
    leads = any(role is Role.UNIT_LEAD for role, _unit in g.staff.roles)
    return render_template(
        "clinician/caseload.html",
        form=form,
        stale_filter=stale_filter,
        caseload=result,
        leads=leads,
        treats=treats,
        labels=labels,
        signal_titles=SIGNAL_TITLES,
        presenters=presenters,
    )


@bp.route("/ended")
@login_required(Role.THERAPIST)
def ended_page() -> str:
    """The therapist's ended courses of treatment, each a link to its (read-only) view."""
    rows = ended_episodes(get_db(), staff_id=g.staff.staff_id, now=now())
    return render_template("clinician/ended.html", rows=rows, shown=SHOWN)


@bp.route("/episodes/<int:episode_id>")
@clinical
def presession_page(episode_id: int) -> str:
    return presession_page_with(episode_id)


def presession_page_with(
    episode_id: int,
    note_problem: NoteProblem | None = None,
    choice_problem: ChoiceProblem | None = None,
) -> str:
    """The pre-session view; with a problem, the note or standing choice sent back as typed,
    its message at the top of the page and at the form. On a GET, a signal's note typed before
    the session ended comes back the same way (`web/clinician/signal_note.py`)."""
    view = presession(
        get_db(),
        g.staff,
        episode_id,
        language=_language(),
        now=now(),
        escalation_after=dt.timedelta(hours=settings().risk_escalation_hours),
        with_own_plan=True,
    )
    if view is None:
        abort(404)
    unplaced_note = None
    if note_problem is None and choice_problem is None:
        kept = kept_note_given_back(view.open_flags)
        note_problem = kept if isinstance(kept, NoteProblem) else None
        unplaced_note = kept if isinstance(kept, UnplacedNote) else None
    language = _language()
    return render_template(
        "clinician/presession.html",
        view=view,
        reviews_due=reviews_due(view, clinic_today(), settings().zone),
        own=view.own_plan,
        language=language,
        labels=labels,
        presenters=presenters,
        score_tables=score_tables,
        score_chart=score_chart,
        signal_titles=labels_as_text(SIGNAL_TITLES),
        signal_explanations=labels_as_text(SIGNAL_EXPLANATIONS),
        signal_explanations_acknowledged=labels_as_text(SIGNAL_EXPLANATIONS_ACKNOWLEDGED),
        risk_code=SignalCode.RISK_ANSWER.value,
        note_problem=note_problem,
        unplaced_note=unplaced_note,
        choice_problem=choice_problem,
        note_max_length=NOTE_MAX_LENGTH,
    )


@bp.route("/episodes/<int:episode_id>/scores")
@clinical
def scores_page(episode_id: int) -> str:
    """Every score of the episode, per questionnaire (the pre-session view shows the latest)."""
    language = _language()
    history = score_history(get_db(), g.staff, episode_id, language=language, now=now())
    if history is None:
        abort(404)
    return render_template(
        "clinician/scores.html",
        history=history,
        language=language,
        presenters=presenters,
        score_tables=score_tables,
        score_chart=score_chart,
    )


@bp.route("/episodes/<int:episode_id>/summary")
@clinical
def journal_summary_page(episode_id: int) -> str:
    """One A4 page for the journal, and the same as plain text to paste into the EPR."""
    language = _language()
    summary = journal_summary(
        get_db(),
        g.staff,
        episode_id,
        language=language,
        now=now(),
        escalation_after=dt.timedelta(hours=settings().risk_escalation_hours),
    )
    if summary is None:
        abort(404)
    context = {
        "summary": summary,
        "view": summary.view,
        "language": language,
        "labels": labels,
        "presenters": presenters,
        "signal_titles": SIGNAL_TITLES,
    }
    plain_text = render_template("clinician/journal_summary.txt", **context)
    return render_template("clinician/journal_summary.html", plain_text=plain_text, **context)


def _signal_action(episode_id: int, signal_id: int, action: str) -> Response | tuple[str, int]:
    # The app-wide CSRF check has run; the note's rules (required for a risk signal, at most
    # NOTE_MAX_LENGTH characters) are the service's, so a form would only repeat them.
    note = request.form.get("note", "")
    service = acknowledge_signal if action == "acknowledge" else resolve_signal
    try:
        # The page's clock, so the time recorded is the one the pages (and tests) work with.
        service(get_db(), g.staff, signal_id, note, episode_id=episode_id, now=now())
    except SignalActionRefused as refused:
        if refused.reason is SignalActionError.NOT_FOUND:
            abort(404)
        if refused.reason in (SignalActionError.NOTE_REQUIRED, SignalActionError.NOTE_TOO_LONG):
            # The page again, not a redirect: the message at the top and beside the note, the
            # note as typed in its field. A flash above a page opened at the signal was out of
            # sight, and a long note was lost.
            message = (
                _(
                    "Write at most %(max)d characters (you wrote %(length)d).",
                    max=NOTE_MAX_LENGTH,
                    length=len(note.strip()),
                )
                if refused.reason is SignalActionError.NOTE_TOO_LONG
                else _signal_error(refused.reason)
            )
            problem = NoteProblem(signal_id, action, note, message)
            return presession_page_with(episode_id, problem), 422
        # Someone else acted on the signal first: the page shows its state now, and the
        # message is at the top, where the page opens.
        flash(_signal_error(refused.reason), "error")
        return redirect(url_for(".presession_page", episode_id=episode_id))
    flash_at(
        "signals", _("Signal acknowledged.") if action == "acknowledge" else _("Signal resolved.")
    )
    return redirect(url_for(".presession_page", episode_id=episode_id) + "#signals")


@bp.route("/episodes/<int:episode_id>/signals/<int:signal_id>/acknowledge", methods=["POST"])
@clinical
def acknowledge(episode_id: int, signal_id: int) -> Response | tuple[str, int]:
    return _signal_action(episode_id, signal_id, "acknowledge")


@bp.route("/episodes/<int:episode_id>/signals/<int:signal_id>/resolve", methods=["POST"])
@clinical
def resolve(episode_id: int, signal_id: int) -> Response | tuple[str, int]:
    return _signal_action(episode_id, signal_id, "resolve")


def review_date_message(problem: DecisionError) -> str:
    if problem is DecisionError.REVIEW_TOO_FAR:
        return _("Choose a date within two years from today.")
    return _("Choose today or a later date.")


@bp.route("/episodes/<int:episode_id>/decisions/new", methods=["GET", "POST"])
@clinical
def new_decision(episode_id: int) -> str | Response | tuple[str, int]:
    form = DecisionForm()
    if request.method == "GET":
        form.signal_id.data = request.args.get("signal", type=small_int)
        give_back_typing(form)  # typed before the session ended, sent to the login page
    # The form shows the patient's name and the signal, so opening it is a logged read.
    view = presession(
        get_db(),
        g.staff,
        episode_id,
        language=_language(),
        action=Action.DECISION_FORM,
        now=now(),
    )
    if view is None:
        abort(404)
    if view.is_closed:
        # Nothing is planned in an ended episode; the form is not offered (services refuse too).
        raise EpisodeClosed(episode_id, view.ended_on)
    signal_id = int(form.signal_id.data) if str(form.signal_id.data or "").isdigit() else None
    signal = next((s for s in view.open_signals if s.id == signal_id), None)
    error = None
    valid = form.validate_on_submit()
    # Asked with the form's own checks, not only when the rest is right: every wrong field in
    # one round.
    submitted = form.is_submitted() and not form.review_on.errors
    problem = review_date_problem(form.review_on.data, clinic_today()) if submitted else None
    if problem is not None:
        form.review_on.errors = [review_date_message(problem)]
        valid = False
    if valid:
        try:
            record_decision(
                get_db(),
                g.staff,
                episode_id,
                DecisionDraft(
                    options_discussed=form.options_discussed.data or "",
                    decision=form.decision.data or "",
                    what_matters=form.what_matters.data,
                    review_on=form.review_on.data,
                    signal_id=signal.id if signal else None,
                    visible_to_patient=bool(form.visible_to_patient.data),
                ),
                today=clinic_today(),
                form_nonce=form.form_nonce.data,
                now=now(),
            )
        except DecisionRefused as refused:
            if refused.reason is DecisionError.NOT_FOUND:
                abort(404)
            if refused.reason in (DecisionError.REVIEW_IN_PAST, DecisionError.REVIEW_TOO_FAR):
                form.review_on.errors = [review_date_message(refused.reason)]
            else:
                error = _("The record could not be saved. Check the fields and try again.")
        else:
            flash_at("decisions", _("The samvalg record is saved."))
            return redirect(url_for(".presession_page", episode_id=episode_id) + "#decisions")
    status = 200 if request.method == "GET" or not (form.errors or error) else 400
    # The picker offers the dates the service accepts: from the clinic's today, two years on.
    form.review_on.render_kw = {
        **(form.review_on.render_kw or {}),
        "min": clinic_today().isoformat(),
        "max": (clinic_today() + REVIEW_WITHIN).isoformat(),
    }
    return render_template(
        "clinician/decision_form.html",
        form=form,
        view=view,
        signal=signal,
        error=error,
        signal_titles=SIGNAL_TITLES,
        signal_explanations=SIGNAL_EXPLANATIONS,
        signal_explanations_acknowledged=SIGNAL_EXPLANATIONS_ACKNOWLEDGED,
    ), status
