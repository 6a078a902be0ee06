"""The group form where it meets the rest of the platform, through the seam: a group therapist
records a session, the scheduler and dispatcher send the member the link, the member answers on
the web, and then what the member's own therapist sees on the caseload and the pre-session
view, and what the service developer's export holds (docs/groups.md).

The group form is a licence holder's definition written like the test fixture
(`tests/fixtures/instruments_test_only/gsrs.json`) but, as a real one would be, not marked as
test data: a `demo` definition is left out of the export whatever it is, so only a definition
like a licensed one shows what the export does with a group form."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from fit_platform.db import Database
from fit_platform.db.models import ServiceFeedback, Staff
from fit_platform.domain.codes import Channel, Language, Role, UnitKind
from fit_platform.domain.instruments import configure_extra_dirs
from fit_platform.messaging.dispatcher import Dispatcher
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from fit_platform.scheduler.clock import run_once
from fit_platform.services import service_comments
from tests.conftest import make_test_app
from tests.messaging.conftest import SmsEndpoint, SmtpServer, sms_endpoint, smtp_server
from tests.support.factories import PASSWORD, World, make_staff, make_unit, make_world
from tests.support.html import log_in
from tests.support.patient import Patient
from tests.support.scheduling import OSLO, Clock
from tests.web.test_groups import FIXTURES, NOW, _add_members, _create_group, _group_world, _post
from tests.web.test_send_times import clock_tick

__all__ = ["sms_endpoint", "smtp_server"]


def _licensed_copy(folder: Path, *, band_labels: bool = True) -> Path:
    """The fixture as a licence holder would write it: not marked as test data; without
    `band_labels`, its bands named by their codes only ("low", "high")."""
    definition = json.loads((FIXTURES / "gsrs.json").read_text(encoding="utf-8"))
    definition["demo"] = False
    if not band_labels:
        for level in definition["scoring"]["bands"]["levels"]:
            del level["label"]
    folder.mkdir()
    (folder / "gsrs.json").write_text(json.dumps(definition), encoding="utf-8")
    return folder


@pytest.fixture
def band_labels() -> bool:
    return True


@pytest.fixture
def app(database_url: str, tmp_path: Path, band_labels: bool) -> Iterator[Flask]:
    application = make_test_app(
        database_url,
        tmp_path / "instance",
        instruments_dir=_licensed_copy(tmp_path / "licensed", band_labels=band_labels),
    )
    application.extensions["fit_clock"] = lambda: NOW
    yield application
    application.extensions["fit_db"].dispose()
    configure_extra_dirs([])


@pytest.fixture
def sms(sms_endpoint: SmsEndpoint) -> Iterator[HttpSmsChannel]:
    with HttpSmsChannel(SmsHttpConfig(sms_endpoint.base_url, sms_endpoint.token, 2)) as channel:
        yield channel


def _db(app: Flask) -> Database:
    database: Database = app.extensions["fit_db"]
    return database


def _session_at(client: FlaskClient, group_id: int, worlds: list[World], time: str) -> None:
    response = _post(
        client,
        f"/groups/{group_id}/sessions/new?lang=en",
        {"day": "2027-01-06", "time": time, "attended": [str(w.episode_id) for w in worlds]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]  # type: ignore[attr-defined]


def _session_recorded(
    app: Flask, client: FlaskClient, members: int
) -> tuple[int, int, Staff, list[World]]:
    """A group of ``members`` whose first member's own therapist leads it (logged in on
    ``client``), with a session at 10:00 recorded; returns the unit, the group, the leader
    and the members."""
    unit_id, leader, co_leader, worlds = _group_world(_db(app), members)
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit_id, [leader, co_leader])
    _add_members(client, group_id, worlds)
    _session_at(client, group_id, worlds, "10:00")
    return unit_id, group_id, leader, worlds


def _links(sms_endpoint: SmsEndpoint) -> list[str]:
    return [
        re.search(r"/p/([A-Za-z0-9_-]+)", m["text"]).group(1)  # type: ignore[union-attr]
        for m in sms_endpoint.accepted
    ]


def _members_answer(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    value: str,
    members: int = 1,
) -> tuple[Staff, World]:
    """A group whose first member's own therapist leads it; every member answers the
    session's form by the link the dispatcher sent. Returns the leader and that member."""
    db = _db(app)
    _unit_id, _group_id, leader, worlds = _session_recorded(app, client, members)
    clock_tick(db, sms, NOW + dt.timedelta(minutes=1))
    tokens = _links(sms_endpoint)
    assert len(tokens) == members
    for token in tokens:
        patient = Patient(app.test_client(), token)
        assert patient.start().status_code == 302
        patient.answer_all("gsrs", code=value)
        assert patient.finish().status_code == 302
    return leader, worlds[0]


def _caseload_row(client: FlaskClient, episode_id: int, lang: str = "en") -> str:
    page = client.get(f"/clinician/?lang={lang}").get_data(as_text=True)
    row = page[page.index(f'/clinician/episodes/{episode_id}"') :]
    return row[: row.index("</tr>")]


def test_a_patient_whose_only_answer_is_a_group_form_has_answers_on_the_caseload(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    _leader, member = _members_answer(app, client, sms_endpoint, sms, "9.3")  # total 37.2

    row = _caseload_row(client, member.episode_id)
    assert "No answers yet" not in row
    assert "No open signals" in row
    assert "No outcome score yet. Last answer: gsrs, 06/01/2027" in row
    bokmaal = _caseload_row(client, member.episode_id, "nb")
    assert "Ingen svar ennå" not in bokmaal
    assert "Ingen utfallsskår ennå. Siste svar: gsrs, 06.01.2027" in bokmaal
    nynorsk = _caseload_row(client, member.episode_id, "nn")
    assert "Ingen utfallsskår enno. Siste svar: gsrs, 06.01.2027" in nynorsk


def test_a_low_group_form_raises_a_signal_about_the_group_not_about_the_alliance(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    _leader, member = _members_answer(app, client, sms_endpoint, sms, "2")  # total 8 of 40

    presession = client.get(f"/clinician/episodes/{member.episode_id}?lang=en")
    view = presession.get_data(as_text=True)
    assert "Low score on the group form" in view
    assert "The form is about the group, not about your sessions together." in view
    assert "alliance" not in view.split('id="signals"', 1)[-1].split("</section>", 1)[0].lower()
    assert "Low alliance score" not in view and "working relationship" not in view
    # Its scores are headed as the group's, not as the working relationship with the therapist
    # (the heading said "Working relationship: Group form …" beside the signal's words).
    assert "Working relationship" not in view and "The group: " in view
    scores = client.get(f"/clinician/episodes/{member.episode_id}/scores?lang=nb")
    assert "Gruppen: " in scores.get_data(as_text=True)

    row = _caseload_row(client, member.episode_id)
    assert "Low score on the group form" in row and "Needs attention" in row
    assert "alliance" not in row.lower()
    assert "Lav skår på gruppeskjemaet" in _caseload_row(client, member.episode_id, "nb")
    assert "Låg skår på gruppeskjemaet" in _caseload_row(client, member.episode_id, "nn")
    nynorsk = client.get(f"/clinician/episodes/{member.episode_id}?lang=nn").get_data(as_text=True)
    assert "Skjemaet handlar om gruppa, ikkje om samtalane de har saman." in nynorsk
    assert "Låg allianseskår" not in nynorsk


def test_the_group_forms_mean_is_not_in_the_service_developers_export(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Six members answer (a cell of five or more would be shown): the export holds no column,
    figure or chart of the group form, as docs/groups.md says."""
    _members_answer(app, client, sms_endpoint, sms, "9.3", members=6)  # each 37.2
    developer = app.test_client()
    staff = make_staff(_db(app), (Role.SERVICE_DEVELOPER, None))
    log_in(developer, staff.username, PASSWORD)
    month = "period=month&start=2027-01-01&end=2027-01-31"

    exported = developer.get(f"/export/aggregates.csv?{month}&separator=comma")
    assert exported.status_code == 200
    table = exported.get_data(as_text=True)
    header = table.splitlines()[0]
    assert "patients_invited" in header and "gsrs" not in header
    assert "37.2" not in table and "37,2" not in table
    document = developer.get(f"/export/aggregates.json?{month}").get_data(as_text=True)
    assert "gsrs" not in document and "37.2" not in document
    for page in (
        f"/export/?lang=en&{month}",
        f"/export/report?lang=en&{month}",
        "/export/codebook?lang=en",
    ):
        html = developer.get(page).get_data(as_text=True)
        assert "gsrs" not in html.lower() and "Group form test fixture" not in html, page
        assert "37.2" not in html, page


def test_two_meetings_a_minute_apart_send_messages_that_name_each_meeting_by_its_time(
    app: Flask,
    client: FlaskClient,
    sms_endpoint: SmsEndpoint,
    sms: HttpSmsChannel,
    smtp_server: SmtpServer,
) -> None:
    """The group is recorded twice, at 10:00 and at 10:01 (a second meeting, or a typing
    slip): each message names its meeting's day and time in the member's language, Oslo time,
    and never the group's name or the word "group"."""
    db = _db(app)
    unit = make_unit(db, UnitKind.DAY_PROGRAMME)
    leader = make_staff(db, (Role.THERAPIST, unit.id))
    members = [
        make_world(db, unit=unit, therapist=leader, language=Language.BOKMAAL),
        make_world(db, unit=unit, therapist=leader, language=Language.NYNORSK),
        make_world(db, unit=unit, therapist=leader, language=Language.ENGLISH),
        make_world(db, unit=unit, therapist=leader, channel=Channel.EMAIL),
    ]
    log_in(client, leader.username, PASSWORD)
    group_id = _create_group(client, unit.id, [leader])  # "Tuesday group"
    _add_members(client, group_id, members)
    _session_at(client, group_id, members, "10:00")
    _session_at(client, group_id, members, "10:01")

    email = SmtpEmailChannel(
        SmtpConfig(smtp_server.host, smtp_server.port, starttls=False, timeout_seconds=2)
    )
    clock = Clock(NOW + dt.timedelta(minutes=1))
    dispatcher = Dispatcher(
        db,
        {Channel.SMS: sms, Channel.EMAIL: email},
        lambda token: f"https://x/p/{token}",
        clock=clock,
    )
    run_once(db, dispatcher, clock=clock)

    texts = [m["text"].rsplit("https://", 1)[0] for m in sms_endpoint.accepted]
    assert sorted(texts) == sorted(
        f"{clinic} {words} {time}. {answer}: "
        for clinic, words, answer in (
            ("Helsetjenesten har sendt", "deg noen korte spørsmål om møtet onsdag 6. januar kl.",
             "Svar her"),
            ("Helsetenesta har sendt", "deg nokre korte spørsmål om møtet onsdag 6. januar kl.",
             "Svar her"),
            ("The health service has sent", "you a few short questions about the meeting on "
             "Wednesday 6 January at", "Answer here"),
        )
        for time in ("10:00", "10:01")
    )  # fmt: skip
    mails = smtp_server.messages
    assert (
        sorted(str(make_header(decode_header(m["Subject"]))) for m in mails)
        == ["Noen korte spørsmål fra helsetjenesten om møtet onsdag 6. januar"] * 2
    )
    bodies = sorted(m.get_payload(decode=True).decode("utf-8") for m in mails)  # type: ignore[union-attr]
    assert "om møtet onsdag 6. januar kl. 10:00. Åpne denne lenken" in bodies[0]
    assert "om møtet onsdag 6. januar kl. 10:01. Åpne denne lenken" in bodies[1]
    for words in [*texts, *bodies]:
        assert "tuesday" not in words.lower() and "grupp" not in words.lower()
        assert "group" not in words.lower()


def _band_texts(client: FlaskClient, episode_id: int, lang: str) -> str:
    """The pre-session view (its chart names each band) and the journal summary."""
    view = client.get(f"/clinician/episodes/{episode_id}?lang={lang}").get_data(as_text=True)
    summary = client.get(f"/clinician/episodes/{episode_id}/summary?lang={lang}")
    return view + summary.get_data(as_text=True)


def test_a_band_is_shown_by_the_definitions_own_label_in_the_users_language(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    _leader, member = _members_answer(app, client, sms_endpoint, sms, "9.3")  # band "high"
    english = _band_texts(client, member.episode_id, "en")
    assert "at or above the cut-off" in english and "below the cut-off" in english
    assert "(at or above the cut-off)" in english  # the latest score's band, in the summary
    assert ">high<" not in english and "(high)" not in english
    nynorsk = _band_texts(client, member.episode_id, "nn")
    assert "(på eller over grenseverdien)" in nynorsk and "(high)" not in nynorsk


@pytest.mark.parametrize("band_labels", [False])
def test_a_band_code_without_a_label_is_shown_by_its_scores_never_as_the_code(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """ "low" is a band the platform names itself; "high" is not: it is shown as the scores
    it covers."""
    _leader, member = _members_answer(app, client, sms_endpoint, sms, "9.3")  # band "high"
    english = _band_texts(client, member.episode_id, "en")
    assert "(score 36–40)" in english and ">score 36–40<" in english
    assert ">high<" not in english and "(high)" not in english
    assert ">low<" in english  # the platform's own name of the code "low"
    bokmaal = _band_texts(client, member.episode_id, "nb")
    assert "(skår 36–40)" in bokmaal and ">lav<" in bokmaal


def test_the_group_pages_note_on_figures_not_yet_shown_starts_with_a_capital(
    app: Flask, client: FlaskClient
) -> None:
    _unit_id, group_id, _leader, _worlds = _session_recorded(app, client, 2)
    for lang, note in (
        ("en", "Figures are shown when the forms close on"),
        ("nb", "Tallene vises når skjemaene stenger"),
        ("nn", "Tala blir viste når skjemaa stengjer"),
    ):
        page = client.get(f"/groups/{group_id}?lang={lang}").get_data(as_text=True)
        assert f'<span class="hidden-cell">{note} ' in page, lang


def test_a_group_forms_comment_goes_to_the_own_therapist_never_to_the_service_only(
    app: Flask, client: FlaskClient, sms_endpoint: SmsEndpoint, sms: HttpSmsChannel
) -> None:
    """Whether a comment "to the service only" may be read is decided by how many therapists
    were responsible for the patients who could have written it; a comment about a group is
    about its leaders, who may be one person. So the group form's last page offers no such
    choice, a posted one is read by the member's own therapist (who is told what the page
    told the member), and the group form's answers do not count towards the pool that decides
    whether the service's comments may be read (docs/groups.md)."""
    db = _db(app)
    unit_id, _group_id, _leader, worlds = _session_recorded(app, client, 1)
    clock_tick(db, sms, NOW + dt.timedelta(minutes=1))
    (token,) = _links(sms_endpoint)
    patient = Patient(app.test_client(), token)
    assert patient.start().status_code == 302
    patient.answer_all("gsrs", code="9.3")

    for lang in ("en", "nb", "nn"):
        page = patient.client.get(f"/p/finish?lang={lang}").get_data(as_text=True)
        assert 'name="comment_to"' not in page, lang
        assert 'name="comment"' in page, lang
    english = patient.client.get("/p/finish?lang=en").get_data(as_text=True)
    assert "Only the service's quality team" not in english
    assert "Your therapist reads this before your next session." in english

    words = "The group room is too noisy"
    assert patient.finish(comment=words, comment_to="service").status_code == 302
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(ServiceFeedback)) == 0
    view = client.get(f"/clinician/episodes/{worlds[0].episode_id}?lang=en")
    assert words in view.get_data(as_text=True)

    after_the_quarter = dt.datetime(2027, 4, 2, 12, tzinfo=dt.UTC)
    pool = service_comments.read_comments(db, unit_id, "2027-Q1", OSLO, after_the_quarter).pool
    assert (pool.patients, pool.therapists) == (0, 0)
