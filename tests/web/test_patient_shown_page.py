"""A questionnaire page shown without a WTForms form (web/patient/shown_page.py) gives the
templates the same field values as the form did, so the page is the same HTML: the answer
page and its radio buttons read a field's id, name, saved answer, required flag and errors."""

from __future__ import annotations

from flask import Flask, render_template

from fit_platform.domain.instruments import default_instruments
from fit_platform.services.answering import page_plan
from fit_platform.web.patient import forms
from fit_platform.web.patient.answer_choices import TEMPLATE as CHOICES
from fit_platform.web.patient.shown_page import shown_page


def test_every_page_without_a_number_question_has_the_fields_and_buttons_of_the_form(
    app: Flask,
) -> None:
    compared = 0
    with app.test_request_context("/p/answer/1"):
        for inst in default_instruments().values():
            for link_ids in page_plan(inst):
                options = [o.code for i in link_ids for o in inst.item(i).options]
                for saved_code in (None, *sorted(set(options))[:1], *sorted(set(options))[-1:]):
                    saved = {link_id: saved_code for link_id in link_ids}
                    shown = shown_page(inst, link_ids, saved)
                    if shown is None:
                        assert any(inst.item(i).vas is not None for i in link_ids)
                        continue
                    for lang in inst.languages:
                        form = forms.answer_page_form(inst, link_ids, lang, data=dict(saved))
                        assert not shown.errors and not form.errors
                        assert list(shown) == []  # no field with an error to summarise
                        for (item, field), (form_item, form_field) in zip(
                            shown.fields, forms.item_field_pairs(form, inst), strict=True
                        ):
                            assert item is form_item
                            assert (field.id, field.name, field.data, field.errors) == (
                                form_field.id,
                                form_field.name,
                                form_field.data,
                                tuple(form_field.errors),
                            )
                            assert field.flags.required == bool(form_field.flags.required)
                            assert render_template(
                                CHOICES, item=item, field=field, lang=lang
                            ) == render_template(CHOICES, item=item, field=form_field, lang=lang)
                            compared += 1
    assert compared > 100
