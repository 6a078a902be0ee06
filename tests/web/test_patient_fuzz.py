"""Random form data posted to every patient route never causes a server error."""

from __future__ import annotations

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fit_platform.db import Database
from tests.support.factories import make_world
from tests.support.patient import Patient, open_invitation

ROUTES = [
    "/p/{token}",
    "/p/",
    "/p/answer/1",
    "/p/answer/2",
    "/p/answer/99",
    "/p/help",
    "/p/finish",
    "/p/done",
    "/p/progress",
    "/p/goals",
    "/p/choices",
    "/p/choices/done",
]
FIELDS = [
    "action",
    "phq9_1",
    "phq9_9",
    "phq9_10",
    "topic",
    "comment",
    "comment_to",
    "text",
    "goal",
    "new-text",
    "pause-until",
    "stop-reason",
    "decline-reason",
    "fewer-reason",
    "channel-channel",
    "verify-code",
]
ACTIONS = [
    "start",
    "choices",
    "goals",
    "progress",
    "restart",
    "send",
    "verify",
    "add",
    "edit",
    "archive",
    "decline",
    "pause",
    "stop",
    "channel",
    "fewer",
]
values = st.one_of(
    st.text(max_size=300),
    st.sampled_from([*ACTIONS, "0", "1", "3", "-1", "1e309", "nan", "2026-13-45", "9" * 40]),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    route=st.sampled_from(ROUTES),
    method=st.sampled_from(["GET", "POST"]),
    data=st.dictionaries(st.sampled_from(FIELDS), values, max_size=6),
    with_csrf=st.booleans(),
)
def test_random_form_data_on_any_patient_route_never_gives_a_server_error(
    client: FlaskClient,
    db: Database,
    route: str,
    method: str,
    data: dict[str, str],
    with_csrf: bool,
) -> None:
    # Every example starts from a fresh, open link, so the random data reaches the forms
    # behind it instead of the page for an already closed link.
    world = getattr(client, "_fuzz_world", None)
    if world is None:
        world = make_world(db)
        client._fuzz_world = world  # type: ignore[attr-defined]
    _invitation_id, token = open_invitation(db, world)
    patient = Patient(client, token)
    patient.start()
    path = route.format(token=token)
    if with_csrf:
        data = {**data, "csrf_token": patient.csrf}
    if method == "GET":
        response = client.get(path, query_string=data)
    else:
        response = client.post(path, data=data)
    assert response.status_code < 500, (path, data, response.status_code)
