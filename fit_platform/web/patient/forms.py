"""Patient forms. The answer form is built from the instrument definition for each page.

Item texts and answer labels come from the instrument file in the page's language (they are
data, with validated translations where they exist); every other text is a lazy gettext.
Free text is cleaned (``clean_free_text``) before it is length-checked and stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import Field, Form, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from fit_platform.domain.codes import Language
from fit_platform.domain.free_text import clean_free_text
from fit_platform.domain.instrument_language import questionnaire_language
from fit_platform.domain.instruments import Instrument, Item
from fit_platform.i18n import select_locale
from fit_platform.services.answering import COMMENT_MAX, TOPIC_MAX
from fit_platform.services.consent import REASON_MAX
from fit_platform.services.page_writes import AnsweredInPart
from fit_platform.services.progress import GOAL_MAX
from fit_platform.web.date_fields import DayField
from fit_platform.web.form_base import FitForm
from fit_platform.web.form_once import nonce_field
from fit_platform.web.length_check import LengthWithCount


def _clean(value: Any) -> Any:
    return clean_free_text(value) if isinstance(value, str) else value


class _KnownAnswer:
    """Only the item's own answers are accepted; anything else is forged or stale."""

    def __init__(self, item: Item) -> None:
        self.item = item

    def __call__(self, form: Form, field: Field) -> None:
        if field.data in (None, ""):
            return
        if self.item.vas is not None:
            try:
                ok = self.item.is_valid_value(float(str(field.data).replace(",", ".")))
            except ValueError:
                ok = False
            if not ok:
                raise ValidationError(
                    _l("Give a number from %(min)s to %(max)s.")
                    % {"min": f"{self.item.vas.min:g}", "max": f"{self.item.vas.max:g}"}
                )
            return
        if field.data not in {option.code for option in self.item.options}:
            raise ValidationError(_l("That answer is not one of the choices. Choose one of them."))


class _Choice(RadioField):  # type: ignore[misc]  # WTForms ships no type hints
    """A radio group that keeps whatever was posted, so our validator can name a forged value."""

    def pre_validate(self, form: Form) -> None:
        return None


class AnswerPage(FitForm):
    """Base class of the generated page forms."""

    class Meta:
        # The app-wide CSRF check (CSRFProtect) has refused a page sent without the session's
        # token before the view runs; a token field of the form's own would only sign a new
        # token for a page that is not shown (the template writes the token itself).
        csrf = False

    item_fields: tuple[str, ...] = ()


def answer_page_form(
    instrument: Instrument,
    link_ids: Sequence[str],
    language: str,
    formdata: Any = None,
    data: dict[str, str | None] | None = None,
) -> AnswerPage:
    """A form with one radio group (or number field for VAS items) per item of the page."""
    form: AnswerPage = _page_form_class(instrument, tuple(link_ids), language)(
        formdata=formdata, data=data or {}
    )
    return form


# Form classes of the instruments' pages, built once per process: building a WTForms class
# (its metaclass walks every attribute) cost more than the rest of the page together.
_PAGE_FORMS: dict[tuple[str, str, tuple[str, ...], str], type[AnswerPage]] = {}


def _page_form_class(
    instrument: Instrument, link_ids: tuple[str, ...], language: str
) -> type[AnswerPage]:
    key = (instrument.id, instrument.version, link_ids, language)
    cached = _PAGE_FORMS.get(key)
    if cached is not None:
        return cached
    attrs: dict[str, Any] = {"item_fields": link_ids}
    for link_id in link_ids:
        item = instrument.item(link_id)
        required = (
            [InputRequired(message=_l("Choose an answer to this question."))]
            if item.required
            else [Optional()]
        )
        if item.vas is not None:
            attrs[link_id] = StringField(
                item.text[language],
                validators=[*required, _KnownAnswer(item)],
                render_kw={"inputmode": "decimal", "autocomplete": "off"},
            )
        else:
            attrs[link_id] = _Choice(
                item.text[language],
                choices=[SelectChoice(o.code, o.display[language]) for o in item.options],
                validators=[*required, _KnownAnswer(item)],
                validate_choice=False,
            )
    form_class = type("GeneratedAnswerPage", (AnswerPage,), attrs)
    _PAGE_FORMS[key] = form_class
    return form_class


# Per instrument page: each item's link id with the codes of its answers, or None for a page
# with a number (VAS) question. Built once per process, bounded by the instrument library.
_PAGE_CODES: dict[
    tuple[str, str, tuple[str, ...]], tuple[tuple[str, frozenset[str]], ...] | None
] = {}


def all_known_answers(
    instrument: Instrument, link_ids: Sequence[str], formdata: Any
) -> dict[str, str | None] | None:
    """The page's answers when every question of it was answered with one of its own choices,
    else None (the caller validates the page with its form).

    Such a post is one the page form accepts as it is, with the same values: each field's
    first posted value is a code of its item (not blank, so no "required" or "optional" rule
    applies, and the known-answer rule holds). Anything else (a blank, a forged or stale
    value, a number question) gets no short cut, so the form's rules and messages stay the
    only ones for a page that is sent back. Saves binding a WTForms form on every save.
    """
    key = (instrument.id, instrument.version, tuple(link_ids))
    if key in _PAGE_CODES:
        page = _PAGE_CODES[key]
    else:
        items = [instrument.item(link_id) for link_id in link_ids]
        page = (
            None
            if any(item.vas is not None for item in items)
            else tuple(
                (item.link_id, frozenset(o.code for o in item.options if o.code.strip()))
                for item in items
            )
        )
        _PAGE_CODES[key] = page
    if page is None:
        return None
    answers: dict[str, str | None] = {}
    for link_id, codes in page:
        value = formdata.get(link_id)
        if value not in codes:
            return None
        answers[link_id] = value
    return answers


def item_field_pairs(form: AnswerPage, instrument: Instrument) -> Iterable[tuple[Item, Field]]:
    for link_id in form.item_fields:
        yield instrument.item(link_id), form[link_id]


class LinkActionForm(FitForm):
    """The buttons on a link's landing page (start, other choices, progress, goals)."""


class FinishForm(FitForm):
    topic = TextAreaField(
        _l("What would you like to talk about in your next session? (optional)"),
        filters=[_clean],
        validators=[Optional(), LengthWithCount(max=TOPIC_MAX)],
    )
    comment = TextAreaField(
        _l("Anything you want to add about these questions? (optional)"),
        filters=[_clean],
        validators=[Optional(), LengthWithCount(max=COMMENT_MAX)],
    )
    comment_to = RadioField(
        _l("Who should read your comment?"),
        choices=[
            SelectChoice("therapist", _l("My therapist, before my next session")),
            SelectChoice(
                "service",
                _l(
                    "Only the service's quality team, anonymously: not linked to me or my therapist"
                ),
            ),
        ],
        default="therapist",
        validators=[Optional()],
    )


class ResultCommentForm(FitForm):
    text = TextAreaField(
        # Who reads it, and when, is the hint under the field (it depends on the episode).
        _l("Your comment on this result"),
        filters=[_clean],
        validators=[
            InputRequired(message=_l("Write your comment first.")),
            LengthWithCount(max=COMMENT_MAX),
        ],
    )


class DeclineForm(FitForm):
    reason = TextAreaField(
        _l("Would you like to tell us why? (optional)"),
        filters=[_clean],
        validators=[Optional(), LengthWithCount(max=REASON_MAX)],
    )


class PauseForm(FitForm):
    # Read as the picker sends it (2026-12-31) and as people type it without one (31.12.2026,
    # 31/12/2026): the hint shows the typed form, so what it shows is accepted.
    until = DayField(
        _l("Pause until and including (date)"),
        validators=[InputRequired(message=_l("Enter a date like 31.12.2026."))],
    )


class StopForm(FitForm):
    reason = TextAreaField(
        _l("Would you like to tell us why? (optional)"),
        filters=[_clean],
        validators=[Optional(), LengthWithCount(max=REASON_MAX)],
    )


class ChannelForm(FitForm):
    channel = RadioField(
        _l("Send me questionnaires by"),
        choices=[
            SelectChoice("sms", _l("Text message (SMS)")),
            SelectChoice("email", _l("E-mail")),
        ],
        validators=[InputRequired(message=_l("Choose text message or e-mail."))],
    )


class FewerForm(FitForm):
    reason = TextAreaField(
        _l("What would suit you better? (optional)"),
        filters=[_clean],
        validators=[Optional(), LengthWithCount(max=REASON_MAX)],
    )


class RestartForm(FitForm):
    pass


class GoalForm(FitForm):
    text = TextAreaField(
        _l("What matters to you? A goal in your own words"),
        filters=[_clean],
        validators=[
            # DataRequired checks the cleaned text: a goal of only spaces is empty.
            DataRequired(message=_l("Write your goal first.")),
            LengthWithCount(max=GOAL_MAX),
        ],
    )
    form_nonce = nonce_field()  # rendered in the "add" form only


class ArchiveGoalForm(FitForm):
    pass


class RequestCodeForm(FitForm):
    pass


class VerifyCodeForm(FitForm):
    code = StringField(
        _l("Code"),
        validators=[
            InputRequired(message=_l("Enter the code from the message.")),
            Length(max=20, message=_l("The code has six digits.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code"},
    )


class LogoutForm(FitForm):
    """The "Log out" button on the progress page."""


class IdPortenForm(FitForm):
    """The "Log in with ID-porten" button (a POST, so the login cannot be started by a link)."""


def page_language(inst: Instrument) -> Language:
    """The questionnaire's language on this request, kept on each answer a save writes: the
    language it is shown in, from the locale selector's code. A save renders nothing, so
    Babel's ``Locale`` for it (some 20 µs to parse) is not needed to name it."""
    return Language(questionnaire_language(inst, select_locale()))


def answered_in_part(page_form: Form, link_ids: Sequence[str]) -> AnsweredInPart:
    """The questions of a page not answered in full that have a valid answer ticked, as a
    save in part takes them (empty when nothing is ticked)."""
    return AnsweredInPart(
        (k, page_form[k].data) for k in link_ids if page_form[k].data and not page_form[k].errors
    )
