"""The own-plan panel's forms as the pre-session view shows them, without WTForms.

A form shown on the pre-session view is empty: the choice to record and one withdraw box per
standing choice; a choice the server refused comes back with what was chosen and typed, and
what is wrong (`ChoiceProblem`). WTForms built a form object per form, bound each field through its
meta class and rendered every input through its widgets: about a tenth of the view's CPU for
markup that depends only on the language, the prefix and the session's CSRF token. What a
therapist sends back is still validated by the WTForms forms in ``clinician/forms.py``
(the names below are theirs). The markup is the same, byte for byte:
``tests/web/test_own_plan_shown_forms.py`` compares it with what the forms render.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from fit_platform.web.clinician.forms import TherapistChoiceForm, TherapistWithdrawForm

ADD_PREFIX = "own-choice"


@dataclass(frozen=True)
class ChoiceProblem:
    """A standing choice sent back: what was chosen and typed, and what is wrong with it
    (field name, message; the field's id is ``own-choice-<field>``)."""

    kind: str | None
    text: str
    messages: tuple[tuple[str, str], ...]


def withdraw_prefix(choice_id: int) -> str:
    return f"own-withdraw{choice_id}"


def _field_label(form: type, name: str) -> object:
    # The label as the form declares it (a lazy string, translated when it is escaped).
    return getattr(form, name).args[0]


def csrf_input(prefix: str) -> Markup:
    """The form's CSRF field: the session's token (the one every form of the page carries)."""
    return Markup('<input name="%s-csrf_token" type="hidden" value="%s">') % (
        prefix,
        generate_csrf(),
    )


def with_patient(prefix: str, form: type) -> Markup:
    """The required "the patient is with me" box and its label."""
    field_id = f"{prefix}-with_patient"
    label = escape(_field_label(form, "with_patient"))
    return Markup(  # noqa: S704 - the id is ours; the label is escaped above
        f'<input id="{field_id}" name="{field_id}" required type="checkbox" value="y">'
        f' <label for="{field_id}">{label}</label>'
    )


class ShownOwnPlanForms:
    """What ``clinician/_own_plan.html`` reads on the pre-session view, for one request."""

    def __init__(self, problem: ChoiceProblem | None = None) -> None:
        self.problem = problem

    def add_csrf(self) -> Markup:
        return csrf_input(ADD_PREFIX)

    def kind_legend(self) -> Markup:
        return escape(_field_label(TherapistChoiceForm, "kind"))

    def kind_choices(self) -> Markup:
        """The kind's radio buttons, each inside its label, as the template wrote them."""
        name = f"{ADD_PREFIX}-kind"
        choices = TherapistChoiceForm.kind.kwargs["choices"]
        chosen = self.problem.kind if self.problem else None
        return Markup(  # noqa: S704 - ids and values are ours; the labels are escaped
            "".join(
                f'<label for="{name}-{index}"><input'
                f'{" checked" if choice.value == chosen else ""} id="{name}-{index}"'
                f' name="{name}" required type="radio" value="{escape(choice.value)}">'
                f" <span>{escape(choice.label)}</span></label>"
                for index, choice in enumerate(choices)
            )
        )

    def text_field(self) -> Markup:
        """The words' label and their text area (WTForms writes a line break first), with
        the words sent back when the choice was refused. No `maxlength`: a browser would cut
        pasted words without a word; a longer text comes back whole with its length."""
        field_id = f"{ADD_PREFIX}-text"
        label = escape(_field_label(TherapistChoiceForm, "text"))
        text = escape(self.problem.text) if self.problem else ""
        return Markup(  # noqa: S704 - the id is ours; the label and the text are escaped
            f'<label for="{field_id}">{label}</label> <textarea dir="auto" id="{field_id}"'
            f' name="{field_id}" rows="3">\r\n{text}</textarea>'
        )

    def add_with_patient(self) -> Markup:
        return with_patient(ADD_PREFIX, TherapistChoiceForm)

    def withdraw_csrf(self, choice_id: int) -> Markup:
        return csrf_input(withdraw_prefix(choice_id))

    def withdraw_with_patient(self, choice_id: int) -> Markup:
        return with_patient(withdraw_prefix(choice_id), TherapistWithdrawForm)
