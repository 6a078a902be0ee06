"""A long unbroken name someone typed wraps inside its own table cell.

A unit renamed to 200 letters without a space squeezed every other column of the admin audit
trail down to its longest word. Long words now carry break opportunities (`<wbr>`,
fit_platform/web/long_words.py); ordinary words and names stay whole.
"""

from __future__ import annotations

from flask.testing import FlaskClient
from markupsafe import Markup

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.web.long_words import LONGEST_WHOLE_WORD, PIECE, wrap_long_words
from tests.support.factories import PASSWORD, make_staff
from tests.support.html import csrf_token, log_in

LONG_NAME = "Kari" + "Nordmann" * 14  # 116 letters, no space


def test_only_long_words_get_break_opportunities_and_the_text_is_unchanged() -> None:
    assert wrap_long_words("Ada Administrator & Co") == "Ada Administrator &amp; Co"
    assert wrap_long_words("a" * LONGEST_WHOLE_WORD) == "a" * LONGEST_WHOLE_WORD
    wrapped = wrap_long_words(f"Unit {LONG_NAME} <b>")
    assert wrapped.startswith("Unit ") and wrapped.endswith(" &lt;b&gt;")
    pieces = wrapped.removeprefix("Unit ").removesuffix(" &lt;b&gt;").split("<wbr>")
    assert "".join(pieces) == LONG_NAME and {len(piece) for piece in pieces[:-1]} == {PIECE}
    # Escaped text given as Markup is split by its characters, never inside an entity.
    assert "&amp;" in wrap_long_words(Markup("A&amp;" + "b" * 30))
    assert "<wbr>" in wrap_long_words(Markup("A&amp;" + "b" * 30))


def test_a_unit_with_a_long_unbroken_name_wraps_on_the_units_page_and_the_audit_trail(
    client: FlaskClient, db: Database
) -> None:
    admin = make_staff(db, (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    page = client.get("/admin/units?lang=en").get_data(as_text=True)
    fields = {
        "name": LONG_NAME,
        "code": "dps-lang",
        "kind": "outpatient",
        "phone": "+47 22 02 03 04",
        "quiet_from": "21:00",
        "quiet_until": "08:00",
    }
    created = client.post(
        "/admin/units",
        data={"new-csrf_token": csrf_token(page), **{f"new-{k}": v for k, v in fields.items()}},
    )
    assert created.status_code == 302, created.get_data(as_text=True)[-2000:]
    shown = str(wrap_long_words(LONG_NAME))
    for url in ("/admin/audit?lang=en", "/admin/units?lang=en"):
        html = client.get(url).get_data(as_text=True)
        table = html[html.index("<table") : html.index("</table>")]
        assert shown in table, url
        assert LONG_NAME not in table, url
