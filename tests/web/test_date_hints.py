"""The date fields' hints show the one form every date field reads and its error names.

The trend report hinted "For example 2025-01-01" for From but "31.12.2026" for To, and the
export page "1.1.2026": three forms for the same kind of field. Every From and To now hints the
form the date picker shows in Norwegian and the error message asks for (31.12.2026), and the
example is read back as the date it shows.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.domain.codes import Role
from fit_platform.web.date_fields import ACCEPTED_FORMATS
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in


def _parses(text: str) -> bool:
    for fmt in ACCEPTED_FORMATS:
        try:
            dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return True
    return False


@pytest.mark.parametrize("path", ["/export/report", "/export/"])
def test_from_and_to_hint_the_same_date_form(app: Flask, client: FlaskClient, path: str) -> None:
    db = app.extensions["fit_db"]
    make_unit(db)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    for lang in ("nb", "nn", "en"):
        html = client.get(f"{path}?lang={lang}").get_data(as_text=True)
        examples = re.findall(r'class="hint"[^>]*>[^<]*?(\d[\d./-]+\d)', html)
        assert examples == ["01.01.2026", "31.12.2026"], (path, lang, examples)
        assert all(_parses(example) for example in examples)
