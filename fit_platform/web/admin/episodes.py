"""A unit's open episodes: transfer one to another therapist of the unit, or close it.
Shows who the patient is and who treats them, never an answer or a score."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from fit_platform.extensions import get_db
from fit_platform.services.admin_refusal import AdminNotFound, AdminRefusal
from fit_platform.services.episode_close import close_episode
from fit_platform.services.episodes_admin import (
    open_episodes,
    transfer_episode,
    unit_therapists,
)
from fit_platform.services.units_admin import unit_summary
from fit_platform.web.admin.blueprint import bp
from fit_platform.web.admin.forms import CloseForm, TransferForm
from fit_platform.web.admin.texts import ADMIN_ERRORS
from fit_platform.web.admin.units import admin_only
from fit_platform.web.clock import now as clock_now


def _transfer_form(unit_id: int, episode_id: int) -> TransferForm:
    """The form as posted: every active therapist of the unit is a valid choice, so a posted
    current therapist reaches the service and is refused with its own message."""
    form = TransferForm(prefix=f"transfer-{episode_id}")
    form.therapist.choices = [
        SelectChoice(str(therapist.staff_id), therapist.name)
        for therapist in unit_therapists(get_db(), unit_id)
    ]
    return form


def _offer_others(form: TransferForm, responsible_ids: frozenset[int]) -> TransferForm:
    """Offer only the therapists who are not responsible already: a transfer to the same
    person changes nothing. No choice left: the page says so instead of showing the form."""
    form.therapist.choices = [
        choice
        for choice in form.therapist.choices or []
        if isinstance(choice, SelectChoice) and int(choice.value) not in responsible_ids
    ]
    return form


def _render(
    unit_id: int,
    failed: tuple[int, TransferForm | CloseForm] | None = None,
) -> tuple[str, int]:
    try:
        unit = unit_summary(get_db(), unit_id)
        episodes = open_episodes(
            get_db(), staff_id=g.staff.staff_id, unit_id=unit_id, now=clock_now()
        )
    except AdminNotFound:
        abort(404)
    transfer_forms = {e.episode_id: _transfer_form(unit_id, e.episode_id) for e in episodes}
    close_forms = {e.episode_id: CloseForm(prefix=f"close-{e.episode_id}") for e in episodes}
    if failed is not None:
        episode_id, form = failed
        if isinstance(form, TransferForm):
            transfer_forms[episode_id] = form
        else:
            close_forms[episode_id] = form
    for episode in episodes:
        _offer_others(transfer_forms[episode.episode_id], episode.responsible_ids)
        if episode.no_active_behandler:
            # No therapist to ask: the unit lead is who follows a risk answer up then.
            close_forms[episode.episode_id].risk_followed_up.label.text = _(
                "The risk answer has been followed up, and the treatment is over"
            )
    return render_template(
        "admin/episodes.html",
        unit=unit,
        episodes=episodes,
        transfer_forms=transfer_forms,
        close_forms=close_forms,
    ), (422 if failed else 200)


def _gone(unit_id: int) -> Response:
    """The episode was closed meanwhile (another admin, another tab): say so on the list."""
    flash(str(ADMIN_ERRORS["episode_closed"]), "error")
    return redirect(url_for("admin.unit_episodes", unit_id=unit_id))


@bp.route("/units/<int:unit_id>/episodes")
@admin_only
def unit_episodes(unit_id: int) -> tuple[str, int]:
    return _render(unit_id)


@bp.route("/units/<int:unit_id>/episodes/<int:episode_id>/transfer", methods=["POST"])
@admin_only
def transfer(unit_id: int, episode_id: int) -> tuple[str, int] | Response:
    form = _transfer_form(unit_id, episode_id)
    if form.validate_on_submit():
        try:
            transfer_episode(
                get_db(),
                staff_id=g.staff.staff_id,
                unit_id=unit_id,
                episode_id=episode_id,
                to_staff_id=form.therapist.data,
                reason=form.reason.data,
                now=clock_now(),
            )
        except AdminNotFound:
            abort(404)
        except AdminRefusal as refusal:
            if refusal.code == "episode_closed":
                return _gone(unit_id)
            form.therapist.errors = [str(ADMIN_ERRORS[refusal.code])]
        else:
            flash(_("The episode is transferred. The new therapist sees it from now on."))
            return redirect(url_for("admin.unit_episodes", unit_id=unit_id))
    return _render(unit_id, (episode_id, form))


@bp.route("/units/<int:unit_id>/episodes/<int:episode_id>/close", methods=["POST"])
@admin_only
def close(unit_id: int, episode_id: int) -> tuple[str, int] | Response:
    form = CloseForm(prefix=f"close-{episode_id}")
    if form.validate_on_submit():
        zone = current_app.config["FIT_SETTINGS"].zone
        now = clock_now()
        try:
            close_episode(
                get_db(),
                staff_id=g.staff.staff_id,
                unit_id=unit_id,
                episode_id=episode_id,
                today=now.astimezone(zone).date(),
                reason=form.reason.data,
                now=now,
                risk_followed_up=bool(form.risk_followed_up.data),
            )
        except AdminNotFound:
            abort(404)
        except AdminRefusal as refusal:
            if refusal.code != "unacknowledged_risk":
                return _gone(unit_id)
            form.risk_followed_up.errors = [str(ADMIN_ERRORS[refusal.code])]
        else:
            flash(
                _(
                    "The episode is closed. Questionnaires not yet answered and appointments "
                    "planned from now on are cancelled."
                )
            )
            return redirect(url_for("admin.unit_episodes", unit_id=unit_id))
    return _render(unit_id, (episode_id, form))
