"""The figures page opens on whole quarters, so the last whole quarter reads the same there as
behind the start page's "All figures for the quarter". An episode's change is counted in the
quarter of its latest score up to the range's end (docs/export.md): when the page opened on
1 January to today, a patient who scored in 2026-Q3 and again in the running quarter moved out
of Q3's outcome figures, and the service developer's two default links showed 2026-Q3 with
different figures. Seen walking the demo as the service developer."""

from __future__ import annotations

import html as html_lib
import re

from flask.testing import FlaskClient

from fit_platform.domain.codes import Role
from tests.support.factories import PASSWORD, make_staff
from tests.support.html import log_in
from tests.support.scheduling import Clock, oslo
from tests.support.service_history import seed_service_history

NOW = oslo(2026, 12, 2, 9, 0)  # 2026-Q4 is running; 2026-Q3 is the last whole quarter


def _rows_of(page: str, period: str) -> list[str]:
    """Every table row of `period` on a figures page, as its text."""
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", page, flags=re.S):
        text = re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", row))).strip()
        if f" {period}" in text:
            found.append(text)
    return found


def test_the_last_whole_quarter_reads_the_same_on_the_figures_page_as_from_the_start_page(
    client: FlaskClient,
) -> None:
    db = client.application.extensions["fit_db"]
    client.application.extensions["fit_clock"] = Clock(NOW)
    seed_service_history(db, NOW)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)

    start = client.get("/export/start?lang=en").get_data(as_text=True)
    card = start.split(">All units</h2>")[1].split("</section>")[0]
    link = re.search(r'href="(/export/\?[^"]+)">All figures for the quarter', card)
    assert link is not None
    from_start = client.get(html_lib.unescape(link.group(1)) + "&lang=en").get_data(as_text=True)
    default = client.get("/export/?lang=en").get_data(as_text=True)

    # A year of whole quarters, the running one left out (it is there to choose).
    assert 'value="2025-10-01"' in default and 'value="2026-09-30"' in default
    assert "2026-Q4" not in default
    quarter = _rows_of(from_start, "2026-Q3")
    assert len(quarter) > 10  # every table's rows of the quarter, units and totals
    assert _rows_of(default, "2026-Q3") == quarter
