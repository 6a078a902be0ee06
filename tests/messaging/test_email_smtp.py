import ssl
from dataclasses import replace
from email.header import decode_header, make_header

import pytest

from fit_platform.messaging.channels import OutgoingMessage, PermanentFailure, TemporaryFailure
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel, message_id
from tests.messaging.conftest import SmtpServer, free_port

MESSAGE = OutgoingMessage(
    reference="inv:1:invitation:0", to="kari@eksempel.no", text="Hei\nlenke", subject="Emne"
)


def plain(server: SmtpServer) -> SmtpEmailChannel:
    return SmtpEmailChannel(
        SmtpConfig(
            server.host,
            server.port,
            sender="klinikk@eksempel.no",
            starttls=False,
            timeout_seconds=2,
        )
    )


def test_an_email_is_delivered_with_a_message_id_derived_from_the_outbox_key(
    smtp_server: SmtpServer,
) -> None:
    receipt = plain(smtp_server).send(MESSAGE)
    [mail] = smtp_server.messages
    assert mail["To"] == "kari@eksempel.no"
    assert mail["Subject"] == "Emne"
    assert mail["Message-ID"] == message_id(MESSAGE.reference, "eksempel.no")
    assert receipt.provider_id == mail["Message-ID"]
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)  # a single-part message decodes to bytes
    assert payload.decode().replace("\r\n", "\n").strip() == "Hei\nlenke"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Helse Vest", "Helse Vest <klinikk@eksempel.no>"),
        ("Psykisk helse – Nord", "Psykisk helse – Nord <klinikk@eksempel.no>"),
        # Stored before names were cleaned, or written to the database by hand: a line
        # break would end the header (the e-mail library refuses it), so it is a space.
        ("Helse\r\nVest\x07", "Helse Vest <klinikk@eksempel.no>"),
        ("", "klinikk@eksempel.no"),
    ],
)
def test_the_sender_name_is_shown_beside_the_address_on_one_line(
    smtp_server: SmtpServer, name: str, shown: str
) -> None:
    plain(smtp_server).send(replace(MESSAGE, sender_name=name))
    [mail] = smtp_server.messages
    # A name outside ASCII travels as an encoded word (RFC 2047): read as a mail program would.
    assert str(make_header(decode_header(mail["From"]))) == shown


def test_sending_the_same_outbox_message_again_repeats_its_message_id(
    smtp_server: SmtpServer,
) -> None:
    plain(smtp_server).send(MESSAGE)
    plain(smtp_server).send(MESSAGE)
    ids = smtp_server.handler.message_ids()
    assert len(ids) == 2 and len(set(ids)) == 1


def test_starttls_is_used_when_the_server_requires_it(
    smtp_tls_server: SmtpServer, smtp_tls_client_context: ssl.SSLContext
) -> None:
    config = SmtpConfig(
        smtp_tls_server.host, smtp_tls_server.port, sender="klinikk@eksempel.no",
        starttls=True, ssl_context=smtp_tls_client_context, timeout_seconds=5,
    )  # fmt: skip
    SmtpEmailChannel(config).send(MESSAGE)
    assert len(smtp_tls_server.messages) == 1


def test_a_server_that_requires_starttls_refuses_a_plain_client(
    smtp_tls_server: SmtpServer,
) -> None:
    with pytest.raises(PermanentFailure):
        plain(smtp_tls_server).send(MESSAGE)
    assert smtp_tls_server.messages == []


def test_a_temporary_smtp_refusal_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    smtp_server.refuse = "451 4.3.0 try again later"
    with pytest.raises(TemporaryFailure, match="451"):
        plain(smtp_server).send(MESSAGE)


def test_a_refused_recipient_is_a_permanent_failure(smtp_server: SmtpServer) -> None:
    smtp_server.refuse = "550 5.1.1 no such user"
    with pytest.raises(PermanentFailure, match="550"):
        plain(smtp_server).send(MESSAGE)
    assert smtp_server.messages == []


def test_an_smtp_server_that_is_down_is_a_temporary_failure() -> None:
    channel = SmtpEmailChannel(
        SmtpConfig("127.0.0.1", free_port(), starttls=False, timeout_seconds=1)
    )
    with pytest.raises(TemporaryFailure):
        channel.send(MESSAGE)


def test_email_cannot_be_looked_up_so_reconciliation_resends_with_the_same_id() -> None:
    channel = SmtpEmailChannel(SmtpConfig("127.0.0.1"))
    assert channel.can_lookup is False
    assert channel.lookup("anything") is None
