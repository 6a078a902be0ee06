"""The episode's own questionnaire schedule: one form per rule and one to add a rule."""

from __future__ import annotations

import datetime as dt

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from fit_platform.db.models import ScheduleRule
from fit_platform.domain.codes import Role, ScheduleTrigger, UnitKind
from fit_platform.domain.instrument_language import (
    missing_languages,
    text_in,
    working_translations,
)
from fit_platform.domain.instruments import Instrument, default_instruments
from fit_platform.domain.schedulability import NotSchedulable, why_not_on_a_schedule
from fit_platform.domain.unit_triggers import trigger_runs_at
from fit_platform.extensions import get_db
from fit_platform.services.access_control import EpisodeClosed
from fit_platform.services.episode_schedule import (
    InvalidRule,
    RuleChange,
    RuleUnchanged,
    ScheduleNotFound,
    UnitArchived,
    episode_rules,
    latest_fewer_wish,
    save_rule,
    unit_kind_of_episode,
    unit_quiet_hours,
)
from fit_platform.services.unit_instruments import schedulable_for_episode
from fit_platform.services.upcoming import DAYS_AHEAD, NotListed, Upcoming, upcoming_invitations
from fit_platform.web import labels
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clinician import presenters
from fit_platform.web.clock import now
from fit_platform.web.episode_closed import closed_message
from fit_platform.web.episodes.forms import TRIGGER_CHOICES, RuleForm
from fit_platform.web.episodes.texts import show_rule_errors


def get_locale_code() -> str:
    return str(get_locale() or "nb")


def _instrument_choice_label(instrument: Instrument) -> str:
    """The title in the page's language, marked when the patient may get it in another one
    and where its text is a working translation, not the rights holder's."""
    title = short_name_first(instrument, text_in(instrument.title, get_locale_code()))

    def names(languages: tuple[str, ...]) -> str:
        return ", ".join(str(labels.LANGUAGE_SHORT[language]) for language in languages)

    missing, working = missing_languages(instrument), working_translations(instrument)
    if missing and working:
        return _(
            "%(title)s (not in %(languages)s; working translation: %(working)s)",
            title=title,
            languages=names(missing),
            working=names(working),
        )
    if missing:
        return _("%(title)s (not in %(languages)s)", title=title, languages=names(missing))
    if working:
        return _(
            "%(title)s (working translation: %(working)s)", title=title, working=names(working)
        )
    return title


def short_name_first(instrument: Instrument, title: str) -> str:
    """ "PHQ-9: Patient Health Questionnaire" for "Patient Health Questionnaire (PHQ-9)": a
    closed select on a phone shows the start of its choice only, and the short name is what
    a therapist looks for."""
    ending = f" ({instrument.short_name})"
    if not title.endswith(ending):
        return title
    return f"{instrument.short_name}: {title.removesuffix(ending)}"


def _unavailable_label(instrument_id: str, *, template: bool = False, active: bool = True) -> str:
    """An old rule's instrument that can no longer be chosen: shown so the therapist sees it,
    refused with the reason when saved."""
    instrument = default_instruments().get(instrument_id)
    title = (
        short_name_first(instrument, text_in(instrument.title, get_locale_code()))
        if instrument
        else instrument_id
    )
    reason = why_not_on_a_schedule(instrument) if instrument is not None else None
    if reason is NotSchedulable.GROUP_ONLY:
        return _("%(title)s (group form: sent after group sessions only)", title=title)
    if reason is not None:
        return _("%(title)s (draft or retired: not sent)", title=title)
    if not active:
        # Switched off, it sends nothing: "still sent" beside it was untrue (a look found it).
        return _("%(title)s (not enabled for this unit)", title=title)
    if template:
        # Not copied to an episode registered now (`schedule_plans.copy_template_to_episode`).
        return _(
            "%(title)s (not enabled for this unit: not given to patients registered now)",
            title=title,
        )
    return _(
        "%(title)s (not enabled for this unit: still sent until the rule is changed)", title=title
    )


def _not_enabled_hint(instrument_id: str, *, template: bool, active: bool) -> str | None:
    """Under the questionnaire of a rule whose questionnaire the unit has switched off: what
    that means and what can be done. The select's option alone said it, cut off at 320 px,
    while "In use" stayed ticked beside it (found in a look at the pages)."""
    instrument = default_instruments().get(instrument_id)
    if instrument is None or why_not_on_a_schedule(instrument) is not None:
        return None  # a draft, retired or group form: its option says why
    if not active:
        return _(
            "This questionnaire is no longer enabled for this unit: choose another before "
            "switching the rule on."
        )
    if template:
        return _(
            "This questionnaire is no longer enabled for this unit: patients registered now do "
            "not get this rule. Choose another questionnaire, or switch the rule off."
        )
    return _(
        "This questionnaire is no longer enabled for this unit: the rule still sends it until "
        "it is changed. Choose another questionnaire, or switch the rule off."
    )


def _trigger_choices(
    form: RuleForm, row: ScheduleRule | None, unit_kind: UnitKind, posted_here: bool
) -> None:
    """The triggers the unit's kind can run (no "Every programme day" at an outpatient unit).
    A stored or posted trigger the unit cannot run is kept as a marked choice, as an
    instrument is, so the therapist sees that the old rule is not sent and the service
    refuses it with the reason."""
    choices = [
        choice
        for choice in TRIGGER_CHOICES
        if trigger_runs_at(ScheduleTrigger(choice.value), unit_kind)
    ]
    current = row.trigger.value if row is not None else None
    if posted_here and form.trigger.raw_data:
        posted = form.trigger.raw_data[0]
        current = posted if posted in {trigger.value for trigger in ScheduleTrigger} else current
    if current is not None and current not in {choice.value for choice in choices}:
        choices.append(
            SelectChoice(current, _("Every programme day (day programmes only: not sent here)"))
        )
    form.trigger.choices = choices
    if not trigger_runs_at(ScheduleTrigger.DAILY, unit_kind):
        # The days and the time belong to the weekly rule alone here: naming a daily rule
        # the page does not offer sent readers looking for it.
        form.weekdays.label.text = _("Days (weekly rules)")
        form.send_time.label.text = _("Time of day (weekly rules)")


def rule_form(
    offered: list[Instrument],
    row: ScheduleRule | None = None,
    prefix: str = "new",
    *,
    unit_kind: UnitKind,
    template: bool = False,
) -> RuleForm:
    """The form of one rule (an episode's or a template's). `offered` are the instruments that
    may be chosen (the unit's enabled, schedulable ones); a posted or stored instrument outside
    them is kept as a marked choice, so the service (not the select's own check) refuses it
    with the reason. The triggers are those `unit_kind` can run, likewise. The form shows what
    was posted to it, else `row` (or the defaults): a page holds one form per rule, and when
    another of them was posted this one keeps its values. `template`: a template's rule (its
    unavailable questionnaire is not given to new patients, where an episode's is still sent)."""
    posted_here = request.method == "POST" and any(
        key.startswith(f"{prefix}-") for key in request.form
    )
    form = RuleForm(prefix=prefix) if posted_here else RuleForm(prefix=prefix, formdata=None)
    choices = [
        SelectChoice(instrument.id, _instrument_choice_label(instrument))
        for instrument in offered
        if not instrument.demo
    ]
    offered_ids = {choice.value for choice in choices}
    current = row.instrument_id if row is not None else None
    if posted_here and form.instrument.raw_data:
        posted = form.instrument.raw_data[0]
        current = posted if posted in default_instruments() else current
    active = row.active if row is not None else True
    form.instrument_hint = None
    if current is not None and current not in offered_ids:
        choices.append(
            SelectChoice(current, _unavailable_label(current, template=template, active=active))
        )
        form.instrument_hint = _not_enabled_hint(current, template=template, active=active)
    form.instrument.choices = choices
    _trigger_choices(form, row, unit_kind, posted_here)
    if row is not None and not posted_here:
        form.instrument.data = row.instrument_id
        form.trigger.data = row.trigger.value
        form.offset_hours.data = row.offset_hours
        form.weekdays.data = (row.weekdays or "").split(",") if row.weekdays else []
        form.send_time.data = dt.time.fromisoformat(row.send_time) if row.send_time else None
        form.window_hours.data = row.window_hours
        form.reminder_after_hours.data = row.reminder_after_hours
        form.min_interval_hours.data = row.min_interval_hours
        form.active.data = row.active
    return form


def change_from(form: RuleForm) -> RuleChange:
    """What a valid rule form asks for, for the services to check and save."""
    return RuleChange(
        instrument_id=form.instrument.data or "",
        trigger=ScheduleTrigger(form.trigger.data),
        offset_hours=form.offset_hours.data or 0,
        weekdays=frozenset(int(day) for day in form.weekdays.data or []),
        send_time=form.send_time.data,
        window_hours=form.window_hours.data or 0,
        reminder_after_hours=form.reminder_after_hours.data,
        min_interval_hours=form.min_interval_hours.data or 0,
        active=bool(form.active.data),
    )


def _refused_archived(episode_id: int) -> Response:
    """An archived unit sends nothing: its episodes' schedules are read, not changed."""
    flash(_("The schedule was not changed: the unit is archived and sends nothing."), "error")
    return redirect(url_for("episodes.schedule", episode_id=episode_id), code=303)


@login_required(Role.THERAPIST)
def schedule_page(episode_id: int, rule_id: int | None = None) -> tuple[str, int] | Response:
    """The episode's own schedule: one form per rule and one to add a rule; on an ended
    episode the rules only, without forms."""
    submitted_prefix = f"rule-{rule_id}" if rule_id is not None else "new"
    offered = schedulable_for_episode(get_db(), episode_id)
    try:
        kind = unit_kind_of_episode(get_db(), episode_id=episode_id)
    except ScheduleNotFound:
        abort(404)
    posted = rule_form(offered, prefix=submitted_prefix, unit_kind=kind)
    if request.method == "POST" and posted.validate_on_submit():
        try:
            save_rule(
                get_db(),
                staff_id=g.staff.staff_id,
                episode_id=episode_id,
                rule_id=rule_id,
                change=change_from(posted),
                now=now(),
            )
        except ScheduleNotFound:
            abort(404)
        except UnitArchived:
            return _refused_archived(episode_id)
        except RuleUnchanged:
            # Nothing written, no change logged: a patient's wish for fewer questionnaires
            # stays open on the caseload until the plan really changes.
            flash(_("Nothing was changed: the rule is as it was."))
            return redirect(url_for("episodes.schedule", episode_id=episode_id))
        except InvalidRule as error:
            show_rule_errors(posted, error.codes)
        else:
            flash(_("The schedule is saved. It applies from the next questionnaire."))
            return redirect(url_for("episodes.schedule", episode_id=episode_id))
    try:
        schedule = episode_rules(
            get_db(), staff_id=g.staff.staff_id, episode_id=episode_id, now=now()
        )
        quiet = unit_quiet_hours(get_db(), episode_id=episode_id)
        fewer_wish = latest_fewer_wish(get_db(), episode_id=episode_id)
    except ScheduleNotFound:
        abort(404)
    if schedule.is_closed and request.method == "POST":
        # A valid form was already refused by the service; one that fails its own checks is
        # refused the same way, not answered with field errors on a page without forms.
        raise EpisodeClosed(episode_id, schedule.ended_on)
    if schedule.unit_archived and request.method == "POST":
        # Refused by the service when valid; an invalid form is refused the same way.
        return _refused_archived(episode_id)
    rows = schedule.rules
    forms = [
        (
            row,
            posted
            if submitted_prefix == f"rule-{row.id}"
            else rule_form(offered, row, f"rule-{row.id}", unit_kind=kind),
        )
        for row in rows
    ]
    new_form = posted if submitted_prefix == "new" else rule_form(offered, unit_kind=kind)
    status = 422 if posted.errors else 200
    # What the plan sends in the next days, by the scheduler's own rules: an open plan only.
    upcoming: Upcoming | NotListed = (
        Upcoming([])
        if schedule.is_closed or schedule.unit_archived
        else upcoming_invitations(get_db(), episode_id, now(), zone=settings().zone)
    )
    return render_template(
        "episodes/schedule.html",
        episode_id=episode_id,
        forms=forms,
        new_form=new_form,
        # An ended episode's plan is read, not changed: the rules without forms.
        closed_message=closed_message(schedule.ended_on) if schedule.is_closed else None,
        # An archived unit sends nothing: the plan is read, not changed (docs/administration.md).
        unit_archived=schedule.unit_archived,
        quiet=quiet,
        fewer_wish=fewer_wish,
        upcoming=upcoming,
        days_ahead=DAYS_AHEAD,
        now=now(),
        presenters=presenters,
        trigger_labels={choice.value: choice.label for choice in TRIGGER_CHOICES},
        will_not_be_sent=labels.WILL_NOT_BE_SENT,
        consent_state=schedule.consent_state,
        has_last_appointment=schedule.has_last_appointment,
        paused_until=schedule.paused_until,
        # The patient's days exist only where an active daily rule runs on programme days
        # (services/own_days.py); elsewhere the link led to "no days to choose between".
        # An outpatient unit's daily rule is never sent, so it has no programme days either.
        unit_runs_daily=trigger_runs_at(ScheduleTrigger.DAILY, kind),
        has_programme_days=trigger_runs_at(ScheduleTrigger.DAILY, kind)
        and any(row.active and row.trigger == ScheduleTrigger.DAILY for row in rows),
    ), status
