from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional

from fit_platform.domain.own_plan import CHOICE_TEXT_MAX
from fit_platform.services.caseload_rows import CaseloadScope, CaseloadShow, CaseloadSort
from fit_platform.services.samvalg import TEXT_MAX_LENGTH
from fit_platform.services.samvalg_changes import REASON_MAX_LENGTH
from fit_platform.web.date_fields import DayField
from fit_platform.web.form_base import FitForm
from fit_platform.web.form_once import nonce_field
from fit_platform.web.length_check import LengthWithCount
from fit_platform.web.own_plan_labels import CHOICE_LABELS


class CaseloadFilterForm(FitForm):
    """Sorting and filtering from GET parameters; no CSRF (nothing changes)."""

    class Meta:
        csrf = False

    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice(CaseloadSort.PRIORITY.value, _l("What needs attention first")),
            SelectChoice(CaseloadSort.APPOINTMENT.value, _l("Next appointment")),
            SelectChoice(CaseloadSort.NAME.value, _l("Name")),
        ],
        default=CaseloadSort.PRIORITY.value,
    )
    show = SelectField(
        _l("Show"),
        choices=[
            SelectChoice(CaseloadShow.ALL.value, _l("All patients")),
            SelectChoice(CaseloadShow.SIGNALS.value, _l("With open signals")),
            SelectChoice(
                CaseloadShow.UNANSWERED.value, _l("With questionnaires waiting for an answer")
            ),
            SelectChoice(CaseloadShow.NOT_ACTIVE_CONSENT.value, _l("Paused or stopped feedback")),
            SelectChoice(CaseloadShow.NOT_DELIVERED.value, _l("With questionnaires not delivered")),
            SelectChoice(CaseloadShow.FEWER_WISH.value, _l("Asking for fewer questionnaires")),
            SelectChoice(CaseloadShow.REVIEW_DUE.value, _l("With a decision to look at again")),
        ],
        default=CaseloadShow.ALL.value,
    )
    scope = SelectField(
        _l("Patients"),
        choices=[
            SelectChoice(CaseloadScope.MINE.value, _l("My patients")),
            SelectChoice(CaseloadScope.UNIT.value, _l("Everyone in the units I lead")),
        ],
        # `Optional` lets a blank value past the choice check, so blank must mean "not
        # chosen" (the view's default), not the value " " (found by the fuzz suite: a 500).
        filters=[lambda value: value.strip() or None if isinstance(value, str) else value],
        validators=[Optional()],
    )


class _DecisionTexts(FitForm):
    """A samvalg record's words, when it is written and when it is corrected."""

    options_discussed = TextAreaField(
        _l("Options we discussed"),
        validators=[
            DataRequired(message=_l("Write the options you discussed.")),
            LengthWithCount(max=TEXT_MAX_LENGTH),
        ],
    )
    # Marked optional as the platform's other forms mark theirs (the required ones are not).
    what_matters = TextAreaField(
        _l("What matters most to the patient (optional)"),
        validators=[LengthWithCount(max=TEXT_MAX_LENGTH)],
    )
    decision = TextAreaField(
        _l("What we decided"),
        validators=[
            DataRequired(message=_l("Write what you decided together.")),
            LengthWithCount(max=TEXT_MAX_LENGTH),
        ],
    )
    review_on = DayField(
        _l("When we will look at this again (optional)"),
        validators=[Optional()],
        render_kw={"type": "date"},
    )
    visible_to_patient = BooleanField(_l("The patient can read this record"), default=True)


class DecisionForm(_DecisionTexts):
    signal_id = HiddenField()
    form_nonce = nonce_field()


class DecisionCorrectionForm(_DecisionTexts):
    # The version the page showed: a correction saved by a colleague since is not overwritten.
    version = HiddenField()
    form_nonce = nonce_field()


class DecisionWithdrawForm(FitForm):
    reason = TextAreaField(
        _l("Why it is withdrawn"),
        validators=[
            DataRequired(message=_l("Write why the record is withdrawn.")),
            LengthWithCount(max=REASON_MAX_LENGTH),
        ],
    )


class TherapistChoiceForm(FitForm):
    kind = RadioField(
        _l("The patient's choice"),
        choices=[SelectChoice(kind.value, label) for kind, label in CHOICE_LABELS.items()],
        validators=[InputRequired(message=_l("Choose what the choice is about."))],
    )
    text = TextAreaField(
        _l("In the patient's own words"), validators=[LengthWithCount(max=CHOICE_TEXT_MAX)]
    )
    with_patient = BooleanField(
        _l("The patient is with me and agrees to these words"),
        validators=[DataRequired(message=_l("Record a choice only together with the patient."))],
    )


class RestartFeedbackForm(FitForm):
    """The therapist records the patient's wish for questionnaires again (the pre-session
    view's consent panel writes its markup, `clinician/_consent_restart.html`)."""

    with_patient = BooleanField(
        _l("The patient has asked me for questionnaires again"),
        validators=[
            DataRequired(
                message=_l("Start questionnaires again only when the patient has asked for it.")
            )
        ],
    )


class TherapistWithdrawForm(FitForm):
    with_patient = BooleanField(
        _l("The patient is with me and wants to withdraw this choice"),
        validators=[DataRequired(message=_l("Withdraw a choice only together with the patient."))],
    )
