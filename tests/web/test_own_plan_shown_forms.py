"""The own-plan panel's forms shown without WTForms (web/clinician/own_plan_shown.py) are the
markup the WTForms forms render, byte for byte, in every language: the panel's HTML does not
change, and what the therapist sends back still has the names the forms validate."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_wtf.csrf import generate_csrf

from fit_platform.web.clinician.forms import TherapistChoiceForm, TherapistWithdrawForm
from fit_platform.web.clinician.own_plan_shown import ShownOwnPlanForms


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_the_shown_forms_are_the_markup_the_wtforms_forms_render(app: Flask, language: str) -> None:
    with app.test_request_context("/clinician/episodes/1"), force_locale(language):
        shown = ShownOwnPlanForms()
        add = TherapistChoiceForm(prefix="own-choice", formdata=None)
        # As clinician/_own_plan.html wrote them with the forms.
        assert shown.add_csrf() == add.csrf_token(id=False)
        assert shown.kind_legend() == str(add.kind.label.text)
        assert shown.kind_choices() == "".join(
            f'<label for="{option.id}">{option()} <span>{option.label.text}</span></label>'
            for option in add.kind
        )
        assert shown.text_field() == f"{add.text.label} {add.text(dir='auto', rows=3)}"
        assert shown.add_with_patient() == f"{add.with_patient()} {add.with_patient.label}"
        for choice_id in (1, 42, 2**31 - 1):
            withdraw = TherapistWithdrawForm(prefix=f"own-withdraw{choice_id}", formdata=None)
            assert shown.withdraw_csrf(choice_id) == withdraw.csrf_token(id=False)
            assert (
                shown.withdraw_with_patient(choice_id)
                == f"{withdraw.with_patient()} {withdraw.with_patient.label}"
            )
        # Every form of the page carries the session's one token.
        assert generate_csrf() in shown.add_csrf()
        if language != "en":
            assert shown.kind_legend() != "The patient's choice"
