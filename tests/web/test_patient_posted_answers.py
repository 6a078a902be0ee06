"""A page save answered in full with the questions' own choices is taken without binding the
page form (web/patient/forms.py, ``all_known_answers``); every such post is one the form
accepts with the same answers, and every other post still goes through the form."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from fit_platform.domain.instruments import default_instruments
from fit_platform.services.answering import page_plan
from fit_platform.web.patient import forms


def _posts(codes_per_item: list[list[str]], link_ids: tuple[str, ...]) -> list[MultiDict[str, str]]:
    first = [(k, codes[0]) for k, codes in zip(link_ids, codes_per_item, strict=True)]
    last = [(k, codes[-1]) for k, codes in zip(link_ids, codes_per_item, strict=True)]
    k0 = link_ids[0]
    return [
        MultiDict(first),
        MultiDict(last),
        MultiDict([*first[1:], (k0, "")]),  # one left blank
        MultiDict(first[1:]),  # one missing
        MultiDict([*first[1:], (k0, "99")]),  # forged
        MultiDict([*first[1:], (k0, f" {codes_per_item[0][0]}")]),  # with a space
        MultiDict([*first[1:], (k0, codes_per_item[0][0].upper() + "x")]),
        MultiDict([*first, (k0, "99")]),  # a known answer first, a forged one after it
        MultiDict([(k0, "99"), *first]),  # a forged answer first
        MultiDict([*first, ("csrf_token", "x"), ("other", "1")]),
    ]


def test_a_post_taken_without_the_form_is_one_the_form_accepts_with_the_same_answers(
    app: Flask,
) -> None:
    taken = refused = 0
    with app.test_request_context("/p/answer/1", method="POST"):
        for inst in default_instruments().values():
            for link_ids in page_plan(inst):
                items = [inst.item(k) for k in link_ids]
                has_number = any(item.vas is not None for item in items)
                codes = [[o.code for o in item.options] or ["50"] for item in items]
                for post in _posts(codes, tuple(link_ids)):
                    fast = forms.all_known_answers(inst, link_ids, post)
                    if has_number:
                        assert fast is None
                    for lang in inst.languages:
                        form = forms.answer_page_form(inst, link_ids, lang, formdata=post)
                        valid = form.validate()
                        if fast is not None:
                            assert valid, (inst.id, link_ids, post)
                            assert fast == {k: (form[k].data or None) for k in link_ids}
                            taken += 1
                        else:
                            refused += 1
                # A page answered in full with its own choices is always taken.
                if not has_number:
                    assert forms.all_known_answers(inst, link_ids, _posts(codes, link_ids)[0])
    assert taken > 100 and refused > 100
