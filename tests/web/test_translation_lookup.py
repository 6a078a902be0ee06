"""The request's catalogue and formatted dates are looked up once (for speed), yet a language
change within a request still takes effect, in Python code and in templates alike."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask, g, render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, refresh

from fit_platform.app import create_app
from fit_platform.web.formatting import format_date

TEMPLATE = '{{ _("Log out") }} | {{ ngettext("%(num)d account", "%(num)d accounts", 2) }}'


@pytest.fixture
def app() -> Flask:
    return create_app(
        overrides={
            "environment": "test",
            "database_url": "sqlite:///:memory:",
            "secret_key": "translation-lookup-test-secret-key",
            "public_base_url": "http://localhost",
        }
    )


def test_a_language_change_within_a_request_reaches_python_and_templates(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert gettext("Log out") == "Log out"
        assert render_template_string(TEMPLATE) == "Log out | 2 accounts"
        label = lazy_gettext("Log out")
        with force_locale("nb"):
            assert gettext("Log out") == "Logg ut"
            assert str(label) == "Logg ut"
            assert render_template_string(TEMPLATE) == "Logg ut | 2 kontoer"
        assert gettext("Log out") == "Log out"  # the forced language ends with the block
        g.patient_language = "nn"  # what the patient pages do, then ask Babel to look again
        refresh()  # type: ignore[no-untyped-call]  # Flask-Babel leaves it unannotated
        assert gettext("Log out") == "Logg ut"
        assert render_template_string(TEMPLATE).startswith("Logg ut | 2 ")


def test_template_translations_are_escaped_and_formatted_as_before(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string(
            '{{ _("Questionnaire from %(clinic)s", clinic=name) }}', name="<b>DPS</b>"
        )
        assert html == "Questionnaire from &lt;b&gt;DPS&lt;/b&gt;"


def test_each_request_formats_dates_in_its_own_language_and_the_service_time_zone(
    app: Flask,
) -> None:
    # 23:30 UTC on 2 March is already 3 March in Oslo (UTC+1 in winter).
    late = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    seen: dict[str, set[str]] = {}
    for language in ("nb", "en", "nb"):
        with app.test_request_context("/", headers={"Accept-Language": language}):
            seen.setdefault(language, set()).add(format_date(late, "long"))
    assert seen["nb"] == {"3. mars 2026"}
    assert seen["en"] == {"3 March 2026"}  # British conventions on English pages
