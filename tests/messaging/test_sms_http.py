from collections.abc import Iterator

import httpx
import pytest

from fit_platform.messaging.channels import (
    OutgoingMessage,
    PermanentFailure,
    TemporaryFailure,
    UnknownOutcome,
)
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig
from tests.messaging.conftest import SmsEndpoint, free_port

MESSAGE = OutgoingMessage(reference="inv:1:invitation:0", to="+4791234567", text="Hei")


OPEN: list[HttpSmsChannel] = []


@pytest.fixture(autouse=True)
def close_channels() -> Iterator[None]:
    yield
    while OPEN:
        OPEN.pop().close()


def channel(
    endpoint: SmsEndpoint, token: str | None = None, timeout: float = 5.0
) -> HttpSmsChannel:
    """A channel to the loopback endpoint; the tests of a timeout pass a short one (a busy
    machine can hold the endpoint's answer back past a second)."""
    sms = HttpSmsChannel(SmsHttpConfig(endpoint.base_url, token or endpoint.token, timeout))
    OPEN.append(sms)
    return sms


def test_a_message_is_posted_as_json_with_the_bearer_token_and_the_provider_id_returned(
    sms_endpoint: SmsEndpoint,
) -> None:
    receipt = channel(sms_endpoint).send(MESSAGE)
    assert receipt.provider_id == "sms-1"
    assert sms_endpoint.accepted == [
        {"to": "+4791234567", "text": "Hei", "reference": MESSAGE.reference}
    ]


def test_a_server_error_is_a_temporary_failure(sms_endpoint: SmsEndpoint) -> None:
    sms_endpoint.mode = "500"
    with pytest.raises(TemporaryFailure):
        channel(sms_endpoint).send(MESSAGE)
    assert sms_endpoint.accepted == []


def test_a_provider_that_hangs_is_an_unknown_outcome_after_the_timeout(
    sms_endpoint: SmsEndpoint,
) -> None:
    sms_endpoint.mode = "hang"
    with pytest.raises(UnknownOutcome, match="no answer"):
        channel(sms_endpoint, timeout=0.2).send(MESSAGE)


def test_a_message_taken_before_the_timeout_is_found_by_lookup(
    sms_endpoint: SmsEndpoint,
) -> None:
    sms_endpoint.mode = "accept_then_hang"
    with channel(sms_endpoint, timeout=0.2) as sms:
        with pytest.raises(UnknownOutcome):
            sms.send(MESSAGE)
        receipt = sms.lookup(MESSAGE.reference)
    assert receipt is not None and receipt.provider_id == "sms-1"


def test_a_provider_that_is_down_is_a_temporary_failure() -> None:
    with (
        HttpSmsChannel(SmsHttpConfig(f"http://127.0.0.1:{free_port()}", "t", 1.0)) as down,
        pytest.raises(TemporaryFailure, match="unreachable"),
    ):
        down.send(MESSAGE)


def test_a_refused_message_is_a_permanent_failure(sms_endpoint: SmsEndpoint) -> None:
    sms_endpoint.mode = "400"
    with pytest.raises(PermanentFailure):
        channel(sms_endpoint).send(MESSAGE)


def test_a_wrong_token_is_a_permanent_failure(sms_endpoint: SmsEndpoint) -> None:
    with pytest.raises(PermanentFailure, match="401"):
        channel(sms_endpoint, token="wrong").send(MESSAGE)


def test_lookup_finds_a_message_by_its_reference_and_nothing_for_an_unknown_one(
    sms_endpoint: SmsEndpoint,
) -> None:
    sms = channel(sms_endpoint)
    assert sms.lookup(MESSAGE.reference) is None
    sent = sms.send(MESSAGE)
    assert sms.lookup(MESSAGE.reference) == sent


def test_an_accepted_message_without_an_id_still_counts_as_sent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, text="queued")

    client = httpx.Client(base_url="http://sms.invalid", transport=httpx.MockTransport(handler))
    with HttpSmsChannel(SmsHttpConfig("http://sms.invalid", "t"), client) as sms:
        receipt = sms.send(MESSAGE)
    assert receipt.provider_id.startswith("unknown-202")
