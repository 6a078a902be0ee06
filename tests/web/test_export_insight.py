"""The service developer's start page and trend report, on the demo's synthetic history: the
figures that matter per unit, charts with a data table and a sentence, hidden periods never
drawn."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.domain.codes import Role
from fit_platform.services.export import service_aggregates
from fit_platform.services.export.trends import Measure, unit_trends
from fit_platform.web.chart_frame import LEFT, RIGHT, WIDTH
from tests.support.factories import PASSWORD, make_staff
from tests.support.html import log_in
from tests.support.scheduling import Clock, oslo
from tests.support.service_history import seed_service_history

NOW = oslo(2026, 12, 2, 9, 0)
UNIT = "DPS Sør, poliklinikk"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _service_developer_with_history(client: FlaskClient) -> Database:
    db = _db(client)
    client.application.extensions["fit_clock"] = Clock(NOW)
    seed_service_history(db, NOW)
    staff = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)
    return db


def _unit_id(client: FlaskClient, name: str) -> str:
    html = client.get("/export/report?lang=en").get_data(as_text=True)
    found = re.search(r'<option value="(\d+)">' + re.escape(name) + "</option>", html)
    assert found, html
    return found.group(1)


def test_the_start_page_leads_with_last_quarters_figures_per_unit(client: FlaskClient) -> None:
    import datetime as dt

    db = _service_developer_with_history(client)
    response = client.get("/export/start?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The last whole quarter, 2026-Q3 (2026-07-01 to 2026-09-30)" in html
    for name in ("All units", UNIT, "DPS Sør, dagtilbud", "DPS Vest, poliklinikk"):
        assert f">{name}</h2>" in html
    for label in (
        "Response rate",
        "Reliable improvement",
        "Alliance",
        "Median hours to acknowledge",
    ):
        assert html.count(label) >= 4
    # The card's response rate is the unit total's, as the export computes it.
    rows = service_aggregates(
        db, period="quarter", start=dt.date(2026, 7, 1), end=dt.date(2026, 9, 30)
    )
    [total] = [r for r in rows if r.unit_name == UNIT and r.programme_code == "all"]
    assert total.response_rate.value is not None
    card = html.split(f">{UNIT}</h2>")[1].split("</section>")[0]
    assert f"{round(float(total.response_rate.value) * 100)} %" in card
    assert "/export/report?period=quarter&amp;start=2024-10-01&amp;end=2026-09-30&amp;unit=" in card
    assert "/export/?period=quarter&amp;start=2026-07-01&amp;end=2026-09-30&amp;unit=" in card


def test_the_report_draws_each_figure_with_a_table_and_a_sentence(client: FlaskClient) -> None:
    _service_developer_with_history(client)
    unit = _unit_id(client, UNIT)
    response = client.get(
        f"/export/report?lang=en&period=quarter&start=2025-01-01&end=2026-09-30&unit={unit}"
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    sections = html.split('<section class="trend-figure"')[1:]
    assert len(sections) == 4
    for section in sections:
        assert section.count('<svg xmlns="http://www.w3.org/2000/svg"') == 1
        assert 'role="img"' in section
        assert "<caption>" in section and section.count('<th scope="row" class="period">') == 7
    assert re.search(
        r"Response rate in DPS Sør, poliklinikk (rose|fell) from \d+ % in 2025-Q1 to \d+ % in "
        r"2026-Q3\.",
        sections[0],
    ), sections[0][:800]
    assert "style=" not in html and "<script" not in html  # the CSP allows neither
    # The quarter not over yet says its figures are so far: 2026-Q4, two months in, stood
    # beside whole quarters as if complete, and a sentence ran "to 75 % in 2026-Q4".
    choice = "period=quarter&start=2026-01-01&end=2026-12-31&unit="
    report = client.get(f"/export/report?{choice}&lang=en").get_data(as_text=True)
    assert "in 2026-Q4 (so far)." in report
    assert '<th scope="row" class="period">2026-Q4 (so far)</th>' in report
    assert "2026-Q3 (so far)" not in report
    figures = client.get(f"/export/?{choice}&lang=nb").get_data(as_text=True)
    assert '2026-Q4 <span class="muted">(hittil)</span>' in figures
    assert "2026-Q3 <span" not in figures


def test_hidden_periods_are_gaps_in_the_chart_and_said_in_the_table(client: FlaskClient) -> None:
    import datetime as dt

    db = _service_developer_with_history(client)
    unit = _unit_id(client, "DPS Sør, dagtilbud")
    html = client.get(
        f"/export/report?lang=en&period=month&start=2025-01-01&end=2026-09-30&unit={unit}"
    ).get_data(as_text=True)
    rows = service_aggregates(
        db, period="month", start=dt.date(2025, 1, 1), end=dt.date(2026, 9, 30), unit_id=int(unit)
    )
    # Risk answers are rare: by month most periods have fewer than 5 such patients.
    [risk] = [
        t
        for t in unit_trends(rows, unit_code="dps-sor-dag", unit_name="", periods=_months())
        if t.measure is Measure.RISK_HOURS
    ]
    assert risk.suppressed > 0
    section = html.split('id="risk_hours-heading"')[1].split("</section>")[0]
    table = section.split("<table")[1]
    hidden = re.findall(r'class="period">([^<]+)</th><td class="muted">hidden', table)
    assert len(hidden) == risk.suppressed
    assert "left out of the chart" in section
    # One marker per shown period, none at a hidden period's place on the x axis.
    markers = [float(x) for x in re.findall(r'<circle cx="([\d.]+)" cy="[\d.]+" r="4"', section)]
    assert len(markers) == len(risk.shown)
    step = (WIDTH - LEFT - RIGHT) / (len(risk.points) - 1)
    hidden_x = [LEFT + i * step for i, p in enumerate(risk.points) if p.value is None]
    assert all(abs(x - h) > 1 for x in markers for h in hidden_x)


def _months() -> list[str]:
    return [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)][:21]


def test_bad_report_choices_get_the_form_again_with_a_message(client: FlaskClient) -> None:
    _service_developer_with_history(client)
    for query in (
        "start=yesterday&end=2026-09-30",
        "start=2026-09-30&end=2026-01-01",
        "unit=99999&start=2026-01-01&end=2026-09-30",
        "period=decade&start=2026-01-01&end=2026-09-30",
    ):
        response = client.get(f"/export/report?lang=en&{query}")
        assert response.status_code == 400, query
        assert 'role="alert"' in response.get_data(as_text=True)


def test_a_report_link_with_a_unit_and_no_dates_opens_on_the_default_range(
    client: FlaskClient,
) -> None:
    """It answered "Enter a start date." to a link that asked for no date (a walk)."""
    _service_developer_with_history(client)
    unit = _unit_id(client, UNIT)
    response = client.get(f"/export/report?lang=en&unit={unit}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Enter a start date" not in page and 'role="alert"' not in page
    everything = client.get("/export/report?lang=en").get_data(as_text=True)
    for default in ('value="2024-10-01"', 'value="2026-09-30"'):  # eight whole quarters
        assert default in everything and default in page, default


def test_therapists_cannot_open_the_start_page_or_the_report(client: FlaskClient) -> None:
    staff = make_staff(_db(client), (Role.THERAPIST, None))
    log_in(client, staff.username, PASSWORD)
    assert client.get("/export/start").status_code == 403
    assert client.get("/export/report").status_code == 403


def test_a_unit_whose_scores_are_hidden_reads_fewer_than_five_and_says_nothing_contrary(
    client: FlaskClient,
) -> None:
    """A unit of two patients with scores had "no data" for reliable improvement and the
    alliance on its card, and the report said no questionnaire had scores, while the figures
    table said "fewer than 5" for the same cells: an analyst would report no outcome data."""
    from tests.support.export_small_unit import history_with_a_small_unit

    small = history_with_a_small_unit(client)
    html = client.get("/export/start?lang=en").get_data(as_text=True)
    card = html.split(f">{small}</h2>")[1].split("</section>")[0]
    assert "no data" not in card
    figures = dict(
        re.findall(r"<dt>([^<]+)(?:<span[^>]*>[^<]*</span>)?</dt>\s*<dd>([^<]+)</dd>", card)
    )
    assert figures["Reliable improvement "] == "fewer than 5", figures
    assert figures["Alliance "] == "fewer than 5", figures
    unit_id = re.search(r"unit=(\d+)", card)
    assert unit_id is not None
    report = client.get(
        f"/export/report?period=quarter&start=2024-10-01&end=2026-09-30&unit={unit_id.group(1)}"
    ).get_data(as_text=True)
    assert "No questionnaire has scores for it in this range" not in report
    assert "No alliance questionnaire has answers in this range" not in report
    # Nothing to draw, said without contradicting the chart: "… cannot be shown … 1 hidden
    # period is left out of the line" stood under an empty chart, and a range without any
    # data read "every period has fewer than 5 patients or no data".
    hidden = client.get(
        "/export/report?period=quarter&start=2026-07-01&end=2026-09-30"
        f"&unit={unit_id.group(1)}&lang=en"
    ).get_data(as_text=True)
    assert f"Response rate in {small} cannot be shown for this range" in hidden
    assert "left out of the line" not in hidden
    empty = client.get(
        "/export/report?period=quarter&start=2027-01-01&end=2027-06-30&unit=&lang=en"
    ).get_data(as_text=True)
    assert "Response rate in all units has no data for this range." in empty
    assert "fewer than 5 patients or no data" not in empty
