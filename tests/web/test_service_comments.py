"""Comments "to the service only" reach the service developers who read them, per unit and
quarter once the quarter has ended, and nobody else: never therapists, never a patient or a
date, never verbatim in an export (which counts them, with small cells hidden). A unit's texts
are shown only when at least five patients answered the alliance questionnaire there and at
least three therapists were responsible for them when they answered, none for more than half of
them; smaller units are read together, when
together they are large enough."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.db import Database
from fit_platform.db.models import Staff, Unit
from fit_platform.domain.codes import Role
from fit_platform.services.export_audit import export_history
from fit_platform.services.service_comments import quarter_bounds, quarter_of_date
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import csrf_token, log_in
from tests.support.patient import Patient, open_invitation
from tests.support.scheduling import Clock


def _oslo_today() -> dt.date:
    # Comments are dated by the clinic's month, so the tests' "today" is Oslo's, at any hour.
    return dt.datetime.now(ZoneInfo("Europe/Oslo")).date()


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _comment_to_service(
    app: Flask, unit: Unit, text: str = "", therapist: Staff | None = None
) -> str:
    """A patient of `unit` (treated by `therapist`, or by a therapist of their own) answers the
    alliance questionnaire and, with `text`, sends it to the service only."""
    return _patient_answers(app, unit, text, therapist)[1]


def _patient_answers(
    app: Flask, unit: Unit, text: str = "", therapist: Staff | None = None
) -> tuple[World, str]:
    """As `_comment_to_service`; also the patient's world (episode, therapist)."""
    db = _db(app)
    world = make_world(db, unit=unit, therapist=therapist)
    _invitation_id, token = open_invitation(db, world, "wai_sr")
    patient = Patient(app.test_client(), token)
    patient.start()
    patient.answer_all("wai_sr", "4")
    data = {"comment": text, "comment_to": "service"} if text else {}
    assert patient.finish(**data).status_code == 302
    with db.session() as session:
        from fit_platform.db.models import Patient as PatientRow

        name = session.get_one(PatientRow, world.patient_id).display_name
    return world, name


def _answered(app: Flask, unit: Unit, therapists: int, patients: int) -> list[Staff]:
    """`patients` patients of `unit` answer the alliance questionnaire without a comment,
    shared out among `therapists` therapists; returns the therapists."""
    staff = [make_staff(_db(app), (Role.THERAPIST, unit.id)) for _ in range(therapists)]
    for n in range(patients):
        _comment_to_service(app, unit, therapist=staff[n % therapists])
    return staff


def _page(client: FlaskClient, unit: Unit | None) -> str:
    quarter = quarter_of_date(_oslo_today())
    unit_id = "" if unit is None else unit.id
    return client.get(f"/export/comments?lang=en&unit={unit_id}&quarter={quarter}").get_data(
        as_text=True
    )


def _after_the_quarter(app: Flask) -> dt.datetime:
    """Moves the app's clock to the second day after this quarter (Oslo time), when the
    comments written in it can be read; returns that moment."""
    _start, end = quarter_bounds(quarter_of_date(_oslo_today()), ZoneInfo("Europe/Oslo"))
    later = end + dt.timedelta(days=1, hours=9)
    app.extensions["fit_clock"] = Clock(later)
    return later


def _logged_in(
    app: Flask, *roles: tuple[Role, int | None], after_the_quarter: bool = True
) -> FlaskClient:
    """A reader logged in; by default once the comments' quarter has ended (the page shows
    no text before)."""
    if after_the_quarter:
        _after_the_quarter(app)
    staff = make_staff(_db(app), *roles)
    client = app.test_client()
    log_in(client, staff.username, PASSWORD)
    return client


def test_a_service_developer_reads_the_units_comments_for_the_quarter_escaped_and_anonymous(
    app: Flask,
) -> None:
    db = _db(app)
    unit, other = make_unit(db), make_unit(db)
    therapists = _answered(app, unit, therapists=3, patients=4)
    name = _comment_to_service(app, unit, "The <b>waiting room</b> is cold", therapists[1])
    _comment_to_service(app, other, "Another unit's comment")
    quarter = quarter_of_date(_oslo_today())
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))

    html = reader.get(f"/export/comments?lang=en&unit={unit.id}&quarter={quarter}").get_data(
        as_text=True
    )
    assert "The &lt;b&gt;waiting room&lt;/b&gt; is cold" in html
    assert "Another unit&#39;s comment" not in html and "Another unit's comment" not in html
    assert name not in html
    assert quarter in html
    month = _oslo_today().strftime("%Y-%m")
    assert month not in html and _oslo_today().isoformat() not in html
    assert "Working Alliance Inventory" in html or "WAI-SR" in html
    # The privacy notice says so: it used to say they never see a patient's words.
    notice = unescape(reader.get("/privacy?lang=en").get_data(as_text=True))
    assert "Your words reach them only in a comment you choose to send to the service" in notice
    assert "never your name or your words" not in notice


@pytest.mark.parametrize(
    "roles",
    [
        ("therapist",),
        ("unit_lead",),
        ("therapist", "service_developer"),
        ("unit_lead", "admin"),
    ],
)
def test_therapists_and_unit_leads_are_refused_the_service_comments(
    app: Flask, roles: tuple[str, ...]
) -> None:
    db = _db(app)
    unit = make_unit(db)
    _comment_to_service(app, unit, "Only for the service")
    client = _logged_in(
        app,
        *[
            (Role(role), None if role in ("service_developer", "admin") else unit.id)
            for role in roles
        ],
    )
    quarter = quarter_of_date(_oslo_today())
    response = client.get(f"/export/comments?lang=en&unit={unit.id}&quarter={quarter}")
    assert response.status_code == 403
    assert "Only for the service" not in response.get_data(as_text=True)


def test_an_administrator_may_read_them_and_bad_choices_get_a_clear_message(app: Flask) -> None:
    db = _db(app)
    unit = make_unit(db)
    therapists = _answered(app, unit, therapists=3, patients=4)
    _comment_to_service(app, unit, "Kind staff", therapists[1])
    admin = _logged_in(app, (Role.ADMIN, None))
    assert "Kind staff" in admin.get("/export/comments?lang=en").get_data(as_text=True)
    for query in ("unit=abc&quarter=2026-Q1", f"unit={unit.id}&quarter=2026-Q9", "unit=99999"):
        response = admin.get(f"/export/comments?lang=en&{query}")
        assert response.status_code == 400
        assert "There is a problem" in response.get_data(as_text=True)


def test_the_export_counts_the_comments_with_small_cells_hidden_and_never_their_text(
    app: Flask,
) -> None:
    db = _db(app)
    unit, small = make_unit(db), make_unit(db)
    for n in range(5):
        _comment_to_service(app, unit, f"Verbatim comment {n}")
    _comment_to_service(app, small, "Verbatim comment small")
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))
    # A range around today, wide enough that the clinic's month is inside it at any hour.
    today = _oslo_today()
    start, end = today - dt.timedelta(days=40), today + dt.timedelta(days=1)
    query = f"period=quarter&start={start.isoformat()}&end={end.isoformat()}"

    page = reader.get(f"/export/?lang=en&{query}").get_data(as_text=True)
    assert 'href="/export/comments"' in page
    assert "Comments to the service" in page
    text = reader.get(f"/export/aggregates.csv?{query}&separator=comma").get_data(as_text=True)
    assert "Verbatim" not in text and "Verbatim" not in page
    # The comments' quarter only: the invitations behind them may fall in the quarter before
    # (a questionnaire sent on 31 December and answered on 1 January), whose rows hold none.
    counts: dict[str, list[str]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        if row["period"] == quarter_of_date(today):
            counts.setdefault(row["unit_code"], []).append(row["service_comments"])
    assert set(counts[small.code]) == {"suppressed"}
    # All units (6) minus this unit (5) would give the small unit's 1 away, so the unit's rows
    # are hidden with it (marked as hidden for the other's sake) and only the all-units total
    # is shown.
    assert set(counts[unit.code]) == {"suppressed_secondary"}
    assert counts["all"] == ["6"]


def test_an_anonymous_comment_from_a_unit_with_one_therapist_is_not_shown_and_the_page_says_why(
    app: Flask,
) -> None:
    # Six patients answered, so the count rule alone would let it through; but all of them see
    # the same therapist, so "my therapist" names that person.
    db = _db(app)
    unit = make_unit(db)
    [therapist] = _answered(app, unit, therapists=1, patients=5)
    _comment_to_service(app, unit, "My therapist never listens", therapist)
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))

    html = _page(reader, unit)
    assert "My therapist never listens" not in html
    assert "The comments of this unit are not shown for this quarter." in html
    assert "Fewer than 3 therapists were responsible" in html
    assert "Fewer than 5 patients" not in html
    # Pooled with no other unit it is the same unit, so not shown together either.
    assert "so the comments are not shown together either" in html
    assert "My therapist never listens" not in _page(reader, None)


def test_a_unit_with_enough_therapists_but_fewer_than_five_patients_shows_no_text(
    app: Flask,
) -> None:
    db = _db(app)
    unit = make_unit(db)
    therapists = _answered(app, unit, therapists=3, patients=3)
    _comment_to_service(app, unit, "Short waiting time", therapists[2])
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))

    html = _page(reader, unit)
    assert "Short waiting time" not in html
    assert "Fewer than 5 patients answered" in html
    assert "Fewer than 3 therapists" not in html


def test_small_units_are_read_together_without_the_units_shown_on_their_own(app: Flask) -> None:
    db = _db(app)
    lone, pair, large = make_unit(db), make_unit(db), make_unit(db)
    [lone_therapist] = _answered(app, lone, therapists=1, patients=2)
    _comment_to_service(app, lone, "Text from the lone therapist's unit", lone_therapist)
    pair_therapists = _answered(app, pair, therapists=2, patients=2)
    _comment_to_service(app, pair, "Text from the unit of two", pair_therapists[0])
    large_therapists = _answered(app, large, therapists=3, patients=4)
    _comment_to_service(app, large, "Text from the large unit", large_therapists[1])
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))

    lone_page = _page(reader, lone)
    assert "Text from the lone therapist" not in lone_page
    assert "read the comments of these units together" in lone_page
    assert 'href="/export/comments?unit=&amp;quarter=' in lone_page
    assert "Text from the large unit" in _page(reader, large)
    # Together the two small units have 7 patients and 3 therapists. The large unit is not in
    # the pool: all units minus the large one would give the small units' texts away.
    pooled = _page(reader, None)
    assert "Units not shown on their own, together" in pooled
    assert "Text from the lone therapist&#39;s unit" in pooled
    assert "Text from the unit of two" in pooled
    assert "Text from the large unit" not in pooled
    # Every reading is in the export audit: who, which unit (none when pooled), how many texts.
    readings = [
        (record.unit_id, record.rows)
        for record in export_history(db)
        if record.file_format == "comments"
    ]
    assert sorted(readings, key=str) == sorted([(lone.id, 0), (large.id, 1), (None, 2)], key=str)


def test_the_current_quarters_comments_are_not_read_until_it_has_ended(app: Flask) -> None:
    # Read during the quarter, the pool of two small units and later one of them alone (once
    # it has grown past the limits) would hand over the other unit's texts by difference.
    db = _db(app)
    unit = make_unit(db)
    therapists = _answered(app, unit, therapists=3, patients=4)
    _comment_to_service(app, unit, "The evening group helps", therapists[1])
    early = _logged_in(app, (Role.SERVICE_DEVELOPER, None), after_the_quarter=False)

    _start, end = quarter_bounds(quarter_of_date(_oslo_today()), ZoneInfo("Europe/Oslo"))
    first_day = format_date(end.astimezone(ZoneInfo("Europe/Oslo")).date(), "long", "en_GB")
    for page in (_page(early, unit), _page(early, None)):
        assert "The evening group helps" not in page
        assert f"The comments of this quarter can be read from {first_day}." in page
        assert "Fewer than" not in page

    # Opened without a choice, the page says there is nothing to read in an ended quarter
    # yet: it offered the running quarter alone, with no word why.
    opened = early.get("/export/comments?lang=en").get_data(as_text=True)
    assert "No comment to the service was sent in a quarter that has ended." in opened

    later = _logged_in(app, (Role.SERVICE_DEVELOPER, None))
    html = _page(later, unit)
    assert "The evening group helps" in html
    assert "can be read from" not in html
    assert "No comment to the service was sent in a quarter that has ended." not in html


def test_three_therapists_of_whom_one_treats_nearly_everyone_do_not_make_a_comment_anonymous(
    app: Flask,
) -> None:
    # Ten patients and three therapists pass the count rules; but eight of the ten see the same
    # therapist, so a critical comment about "my therapist" is most likely about her.
    db = _db(app)
    unit = make_unit(db)
    busy, second, third = (make_staff(db, (Role.THERAPIST, unit.id)) for _ in range(3))
    for therapist in [busy] * 7 + [second, third]:
        _comment_to_service(app, unit, therapist=therapist)
    _comment_to_service(app, unit, "She interrupts me all the time", busy)
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))

    html = _page(reader, unit)
    assert "She interrupts me all the time" not in html
    assert "One therapist was responsible for more than half of the patients" in html
    assert "Fewer than 3 therapists" not in html and "Fewer than 5 patients" not in html
    assert "She interrupts me all the time" not in _page(reader, None)
    # nb and nn say it too.
    for language, words in (("nb", "Én behandler hadde ansvar"), ("nn", "Éin behandlar hadde")):
        quarter = quarter_of_date(_oslo_today())
        page = reader.get(f"/export/comments?lang={language}&unit={unit.id}&quarter={quarter}")
        assert words in page.get_data(as_text=True)


def test_therapists_are_counted_as_they_were_when_the_patients_answered_not_after_a_transfer(
    app: Flask,
) -> None:
    # During the quarter one therapist treated all six patients. After it, an administrator
    # transfers four of them to two colleagues (three therapists, two patients each, now). The
    # quarter's comments were still all written by her patients about her.
    db = _db(app)
    unit = make_unit(db)
    alone = make_staff(db, (Role.THERAPIST, unit.id))
    colleagues = [make_staff(db, (Role.THERAPIST, unit.id)) for _ in range(2)]
    worlds = [_patient_answers(app, unit, therapist=alone)[0] for _ in range(5)]
    worlds.append(_patient_answers(app, unit, "My therapist never listens", alone)[0])
    _after_the_quarter(app)
    admin = _logged_in(app, (Role.ADMIN, None), after_the_quarter=False)
    url = f"/admin/units/{unit.id}/episodes"
    token = csrf_token(admin.get(url).get_data(as_text=True))
    for world, colleague in zip(worlds[:4], colleagues * 2, strict=True):
        moved = admin.post(
            f"{url}/{world.episode_id}/transfer",
            data={
                "csrf_token": token,
                f"transfer-{world.episode_id}-therapist": str(colleague.id),
                f"transfer-{world.episode_id}-reason": "New caseloads",
            },
        )
        assert moved.status_code == 302
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None), after_the_quarter=False)

    html = _page(reader, unit)
    assert "My therapist never listens" not in html
    assert "Fewer than 3 therapists were responsible" in html


def test_a_quarter_without_comments_is_shown_as_the_one_chosen(app: Flask) -> None:
    unit = make_unit(_db(app))
    reader = _logged_in(app, (Role.SERVICE_DEVELOPER, None))
    html = reader.get(f"/export/comments?lang=en&unit={unit.id}&quarter=2025-Q3").get_data(
        as_text=True
    )
    assert f"{unit.name}, 2025-Q3" in html
    assert '<option selected value="2025-Q3">2025-Q3</option>' in html
