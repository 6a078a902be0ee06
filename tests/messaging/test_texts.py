# ruff: noqa: E501
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from fit_platform.messaging import texts
from fit_platform.messaging.texts import (
    LANGUAGES,
    MessageKind,
    MessageText,
    message_text,
    one_time_code_text,
)
from tests.messaging.conftest import ROOT

CLINIC = "Nordre DPS"
LINK = "https://fit.example.no/s/AbC123"

SNAPSHOTS = {
    ("nb", MessageKind.INVITATION): MessageText(
        subject="Noen korte spørsmål fra Nordre DPS",
        body="Hei,\n\nNordre DPS har sendt deg noen korte spørsmål. Åpne denne lenken for å svare:\n"
        "https://fit.example.no/s/AbC123\n\nPå samme side kan du ta pause fra eller stoppe disse "
        "meldingene. Meldingen er sendt automatisk og kan ikke besvares.",
        sms="Nordre DPS har sendt deg noen korte spørsmål. Svar her: https://fit.example.no/s/AbC123",
        sender="Nordre DPS",
    ),
    ("nb", MessageKind.REMINDER): MessageText(
        subject="Påminnelse: noen korte spørsmål fra Nordre DPS",
        body="Hei,\n\nDette er en påminnelse fra Nordre DPS: de korte spørsmålene dine er fortsatt "
        "åpne. Åpne denne lenken for å svare:\nhttps://fit.example.no/s/AbC123\n\nPå samme side kan "
        "du ta pause fra eller stoppe disse meldingene. Meldingen er sendt automatisk og kan ikke "
        "besvares.",
        sms="Påminnelse fra Nordre DPS: de korte spørsmålene dine er fortsatt åpne. Svar her: "
        "https://fit.example.no/s/AbC123",
        sender="Nordre DPS",
    ),
    ("nn", MessageKind.INVITATION): MessageText(
        subject="Nokre korte spørsmål frå Nordre DPS",
        body="Hei,\n\nNordre DPS har sendt deg nokre korte spørsmål. Opne denne lenkja for å svare:\n"
        "https://fit.example.no/s/AbC123\n\nPå same side kan du ta pause frå eller stoppe desse "
        "meldingane. Meldinga er sendt automatisk og kan ikkje svarast på.",
        sms="Nordre DPS har sendt deg nokre korte spørsmål. Svar her: https://fit.example.no/s/AbC123",
        sender="Nordre DPS",
    ),
    ("nn", MessageKind.REMINDER): MessageText(
        subject="Påminning: nokre korte spørsmål frå Nordre DPS",
        body="Hei,\n\nDette er ei påminning frå Nordre DPS: dei korte spørsmåla dine er framleis opne. "
        "Opne denne lenkja for å svare:\nhttps://fit.example.no/s/AbC123\n\nPå same side kan du ta "
        "pause frå eller stoppe desse meldingane. Meldinga er sendt automatisk og kan ikkje svarast på.",
        sms="Påminning frå Nordre DPS: dei korte spørsmåla dine er framleis opne. Svar her: "
        "https://fit.example.no/s/AbC123",
        sender="Nordre DPS",
    ),
    ("en", MessageKind.INVITATION): MessageText(
        subject="A few short questions from Nordre DPS",
        body="Hello,\n\nNordre DPS has sent you a few short questions. Open this link to answer:\n"
        "https://fit.example.no/s/AbC123\n\nOn the same page you can pause or stop these messages. "
        "This message was sent automatically and cannot be replied to.",
        sms="Nordre DPS has sent you a few short questions. Answer here: https://fit.example.no/s/AbC123",
        sender="Nordre DPS",
    ),
    ("en", MessageKind.REMINDER): MessageText(
        subject="Reminder: a few short questions from Nordre DPS",
        body="Hello,\n\nThis is a reminder from Nordre DPS: your short questions are still open. "
        "Open this link to answer:\nhttps://fit.example.no/s/AbC123\n\nOn the same page you can "
        "pause or stop these messages. This message was sent automatically and cannot be replied to.",
        sms="Reminder from Nordre DPS: your short questions are still open. Answer here: "
        "https://fit.example.no/s/AbC123",
        sender="Nordre DPS",
    ),
}

# Words that would give away what the questions are about.
HEALTH_WORDS = [
    "ORS", "SRS", "PHQ", "GAD", "CORE", "Outcome Rating", "Session Rating", "score", "poeng",
    "depres", "angst", "anxiety", "diagnos", "psyk", "rus", "behandling", "treatment", "terapi",
]  # fmt: skip


@pytest.mark.parametrize(("language", "kind"), sorted(SNAPSHOTS))
def test_each_message_reads_exactly_as_approved_in_each_language(
    language: str, kind: MessageKind, compiled_translations: Path
) -> None:
    assert (
        message_text(kind, language, CLINIC, LINK, compiled_translations)
        == SNAPSHOTS[(language, kind)]
    )


@pytest.mark.parametrize(("language", "kind"), sorted(SNAPSHOTS))
def test_no_message_carries_health_information(
    language: str, kind: MessageKind, compiled_translations: Path
) -> None:
    text = message_text(kind, language, CLINIC, LINK, compiled_translations)
    for part in (text.subject, text.body, text.sms):
        for word in HEALTH_WORDS:
            assert word.lower() not in part.lower()


CODE_SNAPSHOTS = {
    "nb": "Koden din for Nordre DPS: 123456. Den virker i 10 minutter.",
    "nn": "Koden din for Nordre DPS: 123456. Han verkar i 10 minutt.",
    "en": "Your code for Nordre DPS: 123456. It works for 10 minutes.",
}


@pytest.mark.parametrize("language", sorted(CODE_SNAPSHOTS))
def test_the_one_time_code_message_reads_as_approved_and_carries_no_health_information(
    language: str, compiled_translations: Path
) -> None:
    text = one_time_code_text(language, CLINIC, "123456", compiled_translations)
    assert text.sms == CODE_SNAPSHOTS[language]
    assert "123456" in text.body and CLINIC in text.subject
    for part in (text.subject, text.body, text.sms):
        assert not any(word.lower() in part.lower() for word in HEALTH_WORDS)


# The neutral default is a common noun: lower case inside a sentence, a capital only where it
# starts one (before, "Reminder from The health service" and "Påminnelse fra Helsetjenesten").
DEFAULT_SENDER_SMS = {
    ("nb", MessageKind.INVITATION): "Helsetjenesten har sendt deg noen korte spørsmål. Svar her: ",
    ("nb", MessageKind.REMINDER): "Påminnelse fra helsetjenesten: de korte spørsmålene dine er ",
    ("nn", MessageKind.INVITATION): "Helsetenesta har sendt deg nokre korte spørsmål. Svar her: ",
    ("nn", MessageKind.REMINDER): "Påminning frå helsetenesta: dei korte spørsmåla dine er ",
    ("en", MessageKind.INVITATION): "The health service has sent you a few short questions. ",
    ("en", MessageKind.REMINDER): "Reminder from the health service: your short questions are ",
}
DEFAULT_SENDER_SUBJECT = {
    ("nb", MessageKind.INVITATION): "Noen korte spørsmål fra helsetjenesten",
    ("nn", MessageKind.REMINDER): "Påminning: nokre korte spørsmål frå helsetenesta",
    ("en", MessageKind.INVITATION): "A few short questions from the health service",
}


@pytest.mark.parametrize(("language", "kind"), sorted(DEFAULT_SENDER_SMS))
def test_the_neutral_sender_reads_as_a_common_noun_where_it_stands(
    language: str, kind: MessageKind, compiled_translations: Path
) -> None:
    sender = texts.sender_name(language, None, compiled_translations)
    text = message_text(kind, language, sender, LINK, compiled_translations)
    assert text.sms.startswith(DEFAULT_SENDER_SMS[(language, kind)])
    # The e-mail's sentences put the name where the text message's do.
    assert sender in text.body or text.body.split("\n\n")[1].startswith(text.sms[:12])
    if (language, kind) in DEFAULT_SENDER_SUBJECT:
        assert text.subject == DEFAULT_SENDER_SUBJECT[(language, kind)]


def test_a_units_own_sender_name_keeps_its_letters_inside_a_sentence(
    compiled_translations: Path,
) -> None:
    text = message_text(MessageKind.REMINDER, "en", "helse Vest", LINK, compiled_translations)
    assert text.sms.startswith("Reminder from helse Vest: ")
    text = message_text(MessageKind.INVITATION, "en", "helse Vest", LINK, compiled_translations)
    assert text.sms.startswith("Helse Vest has sent you")


def test_an_unknown_language_gets_bokmal(compiled_translations: Path) -> None:
    text = message_text(MessageKind.INVITATION, "de", CLINIC, LINK, compiled_translations)
    assert text == SNAPSHOTS[("nb", MessageKind.INVITATION)]


def test_without_compiled_catalogs_the_english_text_is_used(tmp_path: Path) -> None:
    text = message_text(MessageKind.REMINDER, "nb", CLINIC, LINK, tmp_path)
    assert text == SNAPSHOTS[("en", MessageKind.REMINDER)]


def test_a_clinic_name_with_percent_signs_is_not_taken_for_a_placeholder(
    compiled_translations: Path,
) -> None:
    text = message_text(
        MessageKind.INVITATION, "en", "100%(link)s DPS", LINK, compiled_translations
    )
    assert text.sms.startswith("100%(link)s DPS has sent")


def test_sms_texts_stay_within_two_sms_segments_for_a_usual_clinic_name(
    compiled_translations: Path,
) -> None:
    for language in LANGUAGES:
        for kind in MessageKind:
            assert len(message_text(kind, language, CLINIC, LINK, compiled_translations).sms) <= 306


# The GSM 03.38 default alphabet and its extension table (3GPP TS 23.038, 6.2.1): a text
# message written only in these is sent in 7-bit parts of 153 characters (160 alone). One
# character outside them (an en dash, a typographic apostrophe) sends the whole message in
# UCS-2, 67 characters a part: the same text in two or three times as many paid parts.
GSM_ALPHABET = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def test_every_text_message_is_in_the_sms_alphabet_whatever_its_meeting_day(
    compiled_translations: Path,
) -> None:
    # The neutral sender ("Helsetjenesten", "helsetenesta", "the health service"), every
    # weekday and month a group meeting can name, and the one-time code.
    oslo = ZoneInfo("Europe/Oslo")
    link = "https://fit.example.no/p/" + "x" * 43  # a link token's length in production
    meetings = [dt.datetime(2027, month, 1, 18, 0, tzinfo=oslo) for month in range(1, 13)]
    meetings += [dt.datetime(2027, 3, day, 9, 30, tzinfo=oslo) for day in range(1, 8)]
    sms: list[str] = []
    for language in LANGUAGES:
        sender = texts.sender_name(language, None, compiled_translations)
        for kind in MessageKind:
            sms.append(message_text(kind, language, sender, link, compiled_translations).sms)
            for meeting in meetings:
                sms.append(
                    message_text(
                        kind, language, sender, link, compiled_translations, meeting=meeting
                    ).sms
                )
        sms.append(one_time_code_text(language, sender, "123456", compiled_translations).sms)
    outside = {text: set(text) - GSM_ALPHABET - GSM_EXTENSION for text in sms}
    assert not any(outside.values()), {text: chars for text, chars in outside.items() if chars}
    # And so two parts at most.
    assert max(len(text) for text in sms) <= 2 * 153


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_message_text_is_in_the_catalog_translated_and_not_fuzzy(language: str) -> None:
    with (ROOT / "translations" / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f)
    extracted = {msgid for _, msgid, _, _ in extract_from_file("python", str(texts.__file__))}
    assert extracted
    for msgid in extracted:
        message = catalog.get(msgid)
        assert message is not None, msgid
        assert message.string, msgid
        assert not message.fuzzy, msgid


STAFF_LINK = "https://fit.example/staff/invite/abc"
STAFF_UNITS = ("Nordre DPS", "Søndre DPS")

# The staff e-mails name the units the account is for and the username, so the new staff
# member can tell which service wrote and what to log in with.
INVITE_MAIL = {
    "nb": (
        "Velg passordet ditt til FIT-tjenesten (Nordre DPS og Søndre DPS)",
        "Hei,\n\nEn administrator har laget en konto til deg i FIT-tjenesten for Nordre DPS og "
        "Søndre DPS. Brukernavnet ditt er kari@dps.example.\n\nÅpne denne lenken for å velge "
        "passordet ditt:\nhttps://fit.example/staff/invite/abc\n\nLenken virker én gang og i "
        "72 timer. Hvis den har gått ut, be administratoren om en ny. Hvis du ikke ventet denne "
        "meldingen, kan du se bort fra den. Meldingen er sendt automatisk og kan ikke besvares.",
    ),
    "nn": (
        "Vel passordet ditt til FIT-tenesta (Nordre DPS og Søndre DPS)",
        "Hei,\n\nEin administrator har laga ein konto til deg i FIT-tenesta for Nordre DPS og "
        "Søndre DPS. Brukarnamnet ditt er kari@dps.example.\n\nOpne denne lenkja for å velje "
        "passordet ditt:\nhttps://fit.example/staff/invite/abc\n\nLenkja verkar éin gong og i "
        "72 timar. Om ho har gått ut, be administratoren om ei ny. Om du ikkje venta denne "
        "meldinga, kan du sjå bort frå henne. Meldinga er sendt automatisk og kan ikkje svarast på.",
    ),
    "en": (
        "Set your password for the FIT service (Nordre DPS and Søndre DPS)",
        "Hello,\n\nAn administrator has made an account for you in the FIT service for Nordre "
        "DPS and Søndre DPS. Your username is kari@dps.example.\n\nOpen this link to choose your "
        "password:\nhttps://fit.example/staff/invite/abc\n\nThe link works once and for 72 "
        "hours. If it has expired, ask your administrator for a new one. If you did not expect "
        "this message, you can ignore it. This message was sent automatically and cannot be "
        "replied to.",
    ),
}


@pytest.mark.parametrize("language", sorted(INVITE_MAIL))
def test_the_staff_invitation_mail_names_the_units_and_the_username(
    language: str, compiled_translations: Path
) -> None:
    from fit_platform.messaging.texts import staff_invite_text

    text = staff_invite_text(
        language,
        STAFF_LINK,
        72,
        compiled_translations,
        username="kari@dps.example",
        units=STAFF_UNITS,
    )
    assert (text.subject, text.body) == INVITE_MAIL[language]
    assert text.sms == ""


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("nb", "for alle enheter"), ("nn", "for alle einingar"), ("en", "for all units")],
)
def test_a_service_wide_account_is_invited_for_all_units(
    language: str, phrase: str, compiled_translations: Path
) -> None:
    from fit_platform.messaging.texts import staff_invite_text, staff_password_link_text

    for write in (staff_invite_text, staff_password_link_text):
        text = write(language, STAFF_LINK, 72, compiled_translations, username="ola@dps.example")
        assert phrase in text.body and "ola@dps.example" in text.body


NEW_PASSWORD_MAIL = {
    "nb": (
        "Velg et nytt passord til FIT-tjenesten (Nordre DPS og Søndre DPS)",
        "Hei,\n\nEn administrator har sendt deg en lenke for å velge et nytt passord til "
        "kontoen din kari@dps.example i FIT-tjenesten for Nordre DPS og Søndre DPS:\n"
        "https://fit.example/staff/invite/abc\n\nLenken "
        "virker én gang og i 72 timer. Det gamle passordet ditt virker til du velger et nytt; da "
        "blir du logget ut overalt. Hvis du ikke har bedt om et nytt passord, si fra til "
        "administratoren din. Meldingen er sendt automatisk og kan ikke besvares.",
    ),
    "nn": (
        "Vel eit nytt passord til FIT-tenesta (Nordre DPS og Søndre DPS)",
        "Hei,\n\nEin administrator har sendt deg ei lenkje for å velje eit nytt passord til "
        "kontoen din kari@dps.example i FIT-tenesta for Nordre DPS og Søndre DPS:\n"
        "https://fit.example/staff/invite/abc\n\nLenkja "
        "verkar éin gong og i 72 timar. Det gamle passordet ditt verkar til du vel eit nytt; då "
        "blir du logga ut overalt. Viss du ikkje har bede om eit nytt passord, sei frå til "
        "administratoren din. Meldinga er sendt automatisk og kan ikkje svarast på.",
    ),
    "en": (
        "Choose a new password for the FIT service (Nordre DPS and Søndre DPS)",
        "Hello,\n\nAn administrator has sent you a link to choose a new password for your "
        "account kari@dps.example in the FIT service for Nordre DPS and Søndre DPS:\n"
        "https://fit.example/staff/invite/abc\n\nThe link works once and for 72 hours. Your "
        "old password works until you choose a new one; then you are logged out everywhere. If "
        "you did not ask for a new password, tell your administrator. This message was sent "
        "automatically and cannot be replied to.",
    ),
}


@pytest.mark.parametrize("language", sorted(NEW_PASSWORD_MAIL))
def test_the_new_password_mail_reads_as_approved(
    language: str, compiled_translations: Path
) -> None:
    from fit_platform.messaging.texts import staff_password_link_text

    text = staff_password_link_text(
        language,
        STAFF_LINK,
        72,
        compiled_translations,
        username="kari@dps.example",
        units=STAFF_UNITS,
    )
    assert (text.subject, text.body) == NEW_PASSWORD_MAIL[language]
    assert text.sms == ""


def test_typographic_punctuation_is_written_plainly_in_the_sms_and_kept_in_the_email(
    compiled_translations: Path,
) -> None:
    name = "DPS Nord – «Ungdom»’s … team"
    text = message_text(MessageKind.REMINDER, "en", name, LINK, compiled_translations)
    assert text.sms.startswith('Reminder from DPS Nord - "Ungdom"\'s ... team: ')
    assert name in text.body and name in text.subject
    code = one_time_code_text("nb", name, "123456", compiled_translations)
    assert code.sms.startswith('Koden din for DPS Nord - "Ungdom"\'s ... team: 123456.')


def test_a_sami_sender_name_keeps_its_letters_in_the_sms(compiled_translations: Path) -> None:
    # Letters outside the SMS alphabet are the name, not its typography: kept, and paid for.
    name = "Sámi klinihkka, Kárášjohka"
    text = message_text(MessageKind.INVITATION, "nb", name, LINK, compiled_translations)
    assert text.sms.startswith("Sámi klinihkka, Kárášjohka har sendt deg")
