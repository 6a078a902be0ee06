"""Groups in a day programme, for the group's therapists and administrators:

    GET       /groups/                               the groups I lead (all for an administrator)
    GET/POST  /groups/new                            create a group (?unit=<id> picks the unit)
    GET       /groups/<id>                           members, sessions and their aggregates
    POST      /groups/<id>/members                   add a member
    POST      /groups/<id>/members/<episode>/remove  take a member out
    GET/POST  /groups/<id>/sessions/new              record a session and who attended

Views are thin: parse, call the group services (`services/group_create.py`, `group_list.py`,
`group_page.py`, `group_members.py`, `group_sessions.py`), render. A group the
user does not lead answers 404. The pages work without JavaScript; the services log every read
of a patient's name.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from fit_platform.domain.codes import Role
from fit_platform.domain.instrument_language import text_in
from fit_platform.extensions import get_db
from fit_platform.services import (
    group_create,
    group_list,
    group_members,
    group_page,
    group_sessions,
)
from fit_platform.services.group_access import GroupError
from fit_platform.web.auth.session import login_required, settings
from fit_platform.web.clock import now
from fit_platform.web.formatting import format_date
from fit_platform.web.groups.forms import (
    AddMemberForm,
    GroupSessionForm,
    NewGroupForm,
    RemoveMemberForm,
)
from fit_platform.web.inputs import small_int

bp = Blueprint("groups", __name__, url_prefix="/groups", template_folder="templates")

group_staff = login_required(Role.THERAPIST, Role.ADMIN)


def _error(code: str) -> str:
    messages = {
        GroupError.NAME_REQUIRED: _("Give the group a name of at most 200 characters."),
        GroupError.NAME_TAKEN: _("The unit already has a group with this name."),
        GroupError.NO_THERAPIST: _("Choose at least one group therapist."),
        GroupError.NOT_A_THERAPIST: _("Choose group therapists among the unit's therapists."),
        GroupError.NO_FORM: _("Choose a group form the unit has enabled."),
        GroupError.NOT_IN_UNIT: _("Only a patient with an open episode in the unit can join."),
        GroupError.IN_THE_FUTURE: _("A session can be recorded once it has started."),
        GroupError.TOO_OLD: _("Enter the date of the session: a date before 2000 is not one."),
        GroupError.BEFORE_THE_GROUP: _(
            "The session is before the group was created. Enter a date from then on."
        ),
        GroupError.NO_ONE_ATTENDED: _("Tick at least one member who attended."),
        GroupError.NOT_A_MEMBER: _("Only members of the group can be recorded as attending."),
        GroupError.ALREADY_RECORDED: _("A session at this time is already recorded."),
    }
    return str(messages.get(code, _("That could not be saved.")))


def _language() -> str:
    return str(get_locale() or "nb")


@bp.route("/")
@group_staff
def index() -> str:
    # The units the user may create a group in, each with its group forms: the page offers
    # "Create a group" only where a group form is enabled, and says what is missing elsewhere.
    return render_template(
        "groups/index.html",
        groups=group_list.groups_for(get_db(), g.staff),
        choices=group_create.new_group_choices(get_db(), g.staff),
    )


@bp.route("/new", methods=["GET", "POST"])
@group_staff
def new() -> str | Response | tuple[str, int]:
    choices = group_create.new_group_choices(get_db(), g.staff)
    wanted = request.args.get("unit", type=small_int)
    unit = next((c for c in choices if c.unit_id == wanted), None)
    if wanted is not None and unit is None:
        abort(404)  # a unit the user may not create groups in, or none
    if unit is None and len(choices) == 1:
        unit = choices[0]
    if unit is None:
        return render_template("groups/new.html", unit=None, choices=choices, form=None)
    form = NewGroupForm()
    language = _language()
    form.instrument.choices = [SelectChoice(i.id, text_in(i.title, language)) for i in unit.forms]
    form.therapists.choices = [SelectChoice(sid, name) for sid, name in unit.therapists]
    if request.method == "GET" and any(sid == g.staff.staff_id for sid, _n in unit.therapists):
        form.therapists.data = [g.staff.staff_id]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                group_id = group_create.create_group(
                    get_db(),
                    g.staff,
                    unit_id=unit.unit_id,
                    name=form.name.data or "",
                    instrument_id=form.instrument.data or "",
                    therapist_ids=form.therapists.data or (),
                    now=now(),
                )
            except GroupError as error:
                if error.code == GroupError.NOT_FOUND:
                    abort(404)
                field = {
                    GroupError.NAME_REQUIRED: form.name,
                    GroupError.NAME_TAKEN: form.name,
                    GroupError.NO_FORM: form.instrument,
                }.get(error.code, form.therapists)
                field.errors = [_error(error.code)]
            else:
                flash(_("The group is created. Add its members next."))
                return redirect(url_for("groups.show", group_id=group_id))
        status = 422
    return (
        render_template("groups/new.html", unit=unit, choices=choices, form=form),
        status,
    )


def _picker_label(member: group_members.Member) -> str:
    # Two patients of the same name are told apart by when their episode began (no birth
    # date is stored); the unit is the group's own, so it would not help.
    return _(
        "%(name)s (in the unit since %(date)s)",
        name=member.name,
        # The app's own date format (en_GB for English): Flask-Babel's wrote "Aug 12, 2026",
        # the only month-first date on the staff pages.
        date=format_date(member.started_on, "medium"),
    )


def _page(group_id: int, **forms: object) -> str:
    view = group_page.group_view(get_db(), g.staff, group_id, now())
    if view is None:
        abort(404)
    add_form = forms.get("add_form") or AddMemberForm(formdata=None)
    add_form.episode.choices = [  # type: ignore[attr-defined]
        SelectChoice(m.episode_id, _picker_label(m)) for m in view.candidates
    ]
    return render_template(
        "groups/show.html",
        view=view,
        add_form=add_form,
        remove_form=RemoveMemberForm(formdata=None),
        form_title=text_in(view.form.title, _language()) if view.form else view.instrument_id,
        cutoff=(
            view.form.clinical_cutoff.value
            if view.form is not None and view.form.clinical_cutoff is not None
            else None
        ),
    )


@bp.route("/<int:group_id>")
@group_staff
def show(group_id: int) -> str:
    return _page(group_id)


@bp.route("/<int:group_id>/members", methods=["POST"])
@group_staff
def add_member(group_id: int) -> Response | tuple[str, int]:
    form = AddMemberForm()
    # The choices are checked by the service (an open episode in the group's unit).
    form.episode.choices = None
    form.episode.validate_choice = False
    if form.validate_on_submit():
        try:
            group_members.add_member(get_db(), g.staff, group_id, form.episode.data, now())
        except GroupError as error:
            if error.code == GroupError.NOT_FOUND:
                abort(404)
            form.episode.errors = [_error(error.code)]
        else:
            flash(_("The patient is a member of the group."))
            return redirect(url_for("groups.show", group_id=group_id) + "#members")
    return _page(group_id, add_form=form), 422


@bp.route("/<int:group_id>/members/<int:episode_id>/remove", methods=["POST"])
@group_staff
def remove_member(group_id: int, episode_id: int) -> Response:
    if not RemoveMemberForm().validate_on_submit():
        abort(400)
    try:
        group_members.remove_member(get_db(), g.staff, group_id, episode_id, now())
    except GroupError as error:
        if error.code == GroupError.NOT_FOUND:
            abort(404)
        flash(_error(error.code), "error")
    else:
        flash(_("The patient is no longer a member. Their past sessions stay recorded."))
    return redirect(url_for("groups.show", group_id=group_id) + "#members")


def _recorded_message(recorded: group_sessions.RecordedSession) -> str:
    """What recording did, true in every case. Not how many were invited: with the number who
    attended that would tell a group therapist who is not a member's own therapist that the
    member has paused or stopped feedback. Every reason that is not consent is said."""
    parts = [_("The session is recorded: %(attended)d attended.", attended=recorded.attended)]
    nobody = {
        group_sessions.WINDOW_OVER: _(
            "No one gets the group form: the 48 hours to answer it after the session were "
            "over when the session was recorded."
        ),
        group_sessions.UNIT_ARCHIVED: _("No one gets the group form: the unit is archived."),
        group_sessions.FORM_UNAVAILABLE: _(
            "No one gets the group form: the form has been removed or retired since the group "
            "was created."
        ),
    }
    if recorded.nobody is not None:
        parts.append(nobody[recorded.nobody])
        return " ".join(parts)
    if recorded.ended:
        parts.append(
            ngettext(
                "%(num)d of them has an ended episode and gets no form.",
                "%(num)d of them have an ended episode and get no form.",
                recorded.ended,
            )
        )
    if recorded.too_little_time:
        parts.append(
            ngettext(
                "%(num)d gets no form: too little would be left of the 48 hours to answer it "
                "after the session.",
                "%(num)d get no form: too little would be left of the 48 hours to answer it "
                "after the session.",
                recorded.too_little_time,
            )
        )
    if recorded.ended + recorded.too_little_time == 0:
        parts.append(_("They get the group form unless they have paused or stopped feedback."))
    elif recorded.ended + recorded.too_little_time < recorded.attended:
        parts.append(
            _("The others get the group form unless they have paused or stopped feedback.")
        )
    return " ".join(parts)


@bp.route("/<int:group_id>/sessions/new", methods=["GET", "POST"])
@group_staff
def new_session(group_id: int) -> str | Response | tuple[str, int]:
    # The session form lists members only: no "Add a member" list, so no such reads logged.
    view = group_page.group_view(get_db(), g.staff, group_id, now(), with_candidates=False)
    if view is None:
        abort(404)
    form = GroupSessionForm()
    # A member whose episode has ended is not offered: they no longer attend, and nothing
    # could be sent to them (posting one anyway fails the choice check).
    form.attended.choices = [
        SelectChoice(m.episode_id, m.name) for m in view.members if not m.ended
    ]
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            assert form.time.data is not None  # DataRequired
            starts_at = dt.datetime.combine(
                form.day.data, form.time.data, tzinfo=settings().zone
            ).astimezone(dt.UTC)
            try:
                recorded = group_sessions.record_session(
                    get_db(),
                    g.staff,
                    group_id,
                    starts_at=starts_at,
                    attended_episode_ids=form.attended.data or (),
                    now=now(),
                    zone=settings().zone,
                    min_window=settings().min_answer_window,
                )
            except GroupError as error:
                if error.code == GroupError.NOT_FOUND:
                    abort(404)
                on_day = (GroupError.IN_THE_FUTURE, GroupError.TOO_OLD, GroupError.BEFORE_THE_GROUP)
                target = form.day if error.code in on_day else form.attended
                if error.code == GroupError.ALREADY_RECORDED:
                    target = form.time
                target.errors = [_error(error.code)]
            else:
                flash(_recorded_message(recorded))
                return redirect(url_for("groups.show", group_id=group_id) + "#sessions")
        status = 422
    return render_template("groups/session.html", view=view, form=form), status
