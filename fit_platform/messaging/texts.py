"""The fixed short texts of invitations and reminders, per language.

Messages carry no health information: only the clinic's name, the link and a line on
how to pause or stop. Never an instrument name, score or diagnosis, whatever the
invitation is for; that is why no function here takes anything but clinic, link and, for
a form about one group meeting, that meeting's day and time. The meeting is named by its
time only: a group's name ("Angstmestring", "Rusgruppa") can say what the patient is treated
for, and so can the word "group" next to a clinic's name, so neither is in the text.

Translated with `babel.support.Translations` from the top-level `translations/` folder
(compiled `.mo` files), not Flask-Babel, so the scheduler and dispatcher processes use
the same catalogs as the web. Without a compiled catalog the English msgid is used.
"""

from __future__ import annotations

import datetime as dt
import functools
import gettext as _gettext
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from babel.dates import format_date
from babel.lists import format_list
from babel.support import Translations

LANGUAGES = ("nb", "nn", "en")
DEFAULT_LANGUAGE = "nb"
DOMAIN = "messages"
# Lists in English follow British usage, as dates do on the pages ("A, B and C").
LIST_LOCALES = {"en": "en_GB"}

_PACKAGE = Path(__file__).resolve().parent.parent
DEFAULT_TRANSLATIONS_DIR = _PACKAGE.parent / "translations"


class MessageKind(StrEnum):
    INVITATION = "invitation"
    REMINDER = "reminder"


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str
    sms: str
    # The name an e-mail shows as its sender: the unit's sender name (or the neutral default)
    # as it starts a sentence; empty for the staff e-mails, which name the service in their
    # subject.
    sender: str = ""


@functools.lru_cache(maxsize=32)
def translations_for(
    language: str, directory: Path = DEFAULT_TRANSLATIONS_DIR
) -> _gettext.NullTranslations:
    """The catalog for `language` (nb when unknown); the English msgids when none is compiled."""
    if language not in LANGUAGES:
        language = DEFAULT_LANGUAGE
    return Translations.load(str(directory), [language], DOMAIN)


def sender_name(
    language: str, message_name: str | None, directory: Path = DEFAULT_TRANSLATIONS_DIR
) -> str:
    """The name a message goes out under: the unit's own sender name, or a neutral default.

    Never the unit's full name: "DPS …, psykiatrisk poliklinikk" on a lock screen tells anyone
    near the phone what kind of treatment the patient gets. The default is a common noun, in
    lower case as it stands inside a sentence ("Reminder from the health service"); a text that
    starts with it uses ``%(Clinic)s``, the same name with a capital first letter."""
    if message_name:
        return message_name
    _ = translations_for(language, directory).gettext
    return _("the health service")


# Typographic punctuation a unit's sender name often has (pasted from a letterhead: "DPS Nord –
# poliklinikk", «…»), mapped to the plain characters of the SMS alphabet (GSM 03.38). One
# character outside that alphabet sends the whole text message in UCS-2, 67 characters a
# part instead of 153, so the same message costs two or three times as many parts. Letters
# are left alone: a Sami name keeps its á and č, and pays for them.
_PLAIN_PUNCTUATION = str.maketrans(
    {
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033", '"'),
        **dict.fromkeys("\u00a0\u2007\u2009\u200a\u202f", " "),
        "\u2026": "...",
    }
)


def sms_punctuation(text: str) -> str:
    """`text` with typographic dashes, quotes, apostrophes, spaces and the ellipsis written
    as the SMS alphabet writes them (see `_PLAIN_PUNCTUATION`)."""
    return text.translate(_PLAIN_PUNCTUATION)


def _sender_values(clinic: str) -> dict[str, str]:
    # Each language's text puts the name where its grammar wants it: `clinic` inside a
    # sentence, `Clinic` at its start. A unit's own name keeps its letters but the first.
    return {"clinic": clinic, "Clinic": clinic[:1].upper() + clinic[1:]}


# The meeting's day as people write it in each language ("onsdag 6. januar", "Wednesday
# 6 January"); the time on the 24-hour clock, which Norway and the British usage of the
# English pages both read.
MEETING_DAY_PATTERNS = {"nb": "EEEE d. MMMM", "nn": "EEEE d. MMMM", "en": "EEEE d MMMM"}


def meeting_values(language: str, meeting: dt.datetime) -> dict[str, str]:
    """The day and time of a meeting (already in the clinic's time zone) in ``language``."""
    locale = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return {
        "day": format_date(
            meeting, MEETING_DAY_PATTERNS[locale], locale=LIST_LOCALES.get(locale, locale)
        ),
        "time": meeting.strftime("%H:%M"),
    }


def message_text(
    kind: MessageKind,
    language: str,
    clinic: str,
    link: str,
    directory: Path = DEFAULT_TRANSLATIONS_DIR,
    *,
    meeting: dt.datetime | None = None,
) -> MessageText:
    """SMS text, e-mail subject and e-mail body for one message. Translate first,
    then fill in the clinic name and link (never formatted into the msgid).

    ``meeting`` is the start, in the clinic's time zone, of the group meeting an invitation
    is about: two meetings' messages then tell the patient which is which. Its day and time
    only; never the group's name (see the module's docstring)."""
    _ = translations_for(language, directory).gettext
    values = {**_sender_values(clinic), "link": link}
    if kind is MessageKind.INVITATION and meeting is not None:
        values |= meeting_values(language, meeting)
        sms = _(
            "%(Clinic)s has sent you a few short questions about the meeting on %(day)s at "
            "%(time)s. Answer here: %(link)s"
        )
        subject = _("A few short questions from %(clinic)s about the meeting on %(day)s")
        body = _(
            "Hello,\n\n%(Clinic)s has sent you a few short questions about the meeting on "
            "%(day)s at %(time)s. Open this link to answer:\n%(link)s\n\n"
            "On the same page you can pause or stop these messages. "
            "This message was sent automatically and cannot be replied to."
        )
    elif kind is MessageKind.INVITATION:
        sms = _("%(Clinic)s has sent you a few short questions. Answer here: %(link)s")
        subject = _("A few short questions from %(clinic)s")
        body = _(
            "Hello,\n\n%(Clinic)s has sent you a few short questions. "
            "Open this link to answer:\n%(link)s\n\n"
            "On the same page you can pause or stop these messages. "
            "This message was sent automatically and cannot be replied to."
        )
    else:
        sms = _(
            "Reminder from %(clinic)s: your short questions are still open. Answer here: %(link)s"
        )
        subject = _("Reminder: a few short questions from %(clinic)s")
        body = _(
            "Hello,\n\nThis is a reminder from %(clinic)s: your short questions are still open. "
            "Open this link to answer:\n%(link)s\n\n"
            "On the same page you can pause or stop these messages. "
            "This message was sent automatically and cannot be replied to."
        )
    return MessageText(
        subject=subject % values,
        body=body % values,
        sms=sms_punctuation(sms % values),
        sender=values["Clinic"],
    )


def one_time_code_text(
    language: str, clinic: str, code: str, directory: Path = DEFAULT_TRANSLATIONS_DIR
) -> MessageText:
    """The message carrying a one-time code the patient asked for (to see their progress)."""
    _ = translations_for(language, directory).gettext
    values = {**_sender_values(clinic), "code": code}
    sms = _("Your code for %(clinic)s: %(code)s. It works for 10 minutes.")
    subject = _("Your code from %(clinic)s")
    body = _(
        "Hello,\n\nYour code for %(clinic)s is %(code)s. It works for 10 minutes.\n\n"
        "If you did not ask for a code, you can ignore this message. "
        "This message was sent automatically and cannot be replied to."
    )
    return MessageText(
        subject=subject % values,
        body=body % values,
        sms=sms_punctuation(sms % values),
        sender=values["Clinic"],
    )


def _units_phrase(language: str, units: tuple[str, ...], gettext: Callable[[str], str]) -> str:
    """The units an account works in, as a list in the language ("DPS Nord og DPS Sør"), or
    "all units" for an account whose roles are service-wide."""
    if not units:
        return gettext("all units")
    locale = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return format_list(list(units), locale=LIST_LOCALES.get(locale, locale))


def staff_invite_text(
    language: str,
    link: str,
    hours: int,
    directory: Path = DEFAULT_TRANSLATIONS_DIR,
    *,
    username: str,
    units: tuple[str, ...] = (),
) -> MessageText:
    """The e-mail that invites a new staff member to set their password (e-mail only). It
    names the units the account is for (`units`; none: service-wide) and the username, so the
    person can tell which service invited them and what to log in with."""
    _ = translations_for(language, directory).gettext
    values = {
        "link": link,
        "hours": hours,
        "username": username,
        "units": _units_phrase(language, units, _),
    }
    subject = _("Set your password for the FIT service (%(units)s)")
    body = _(
        "Hello,\n\nAn administrator has made an account for you in the FIT service for "
        "%(units)s. Your username is %(username)s.\n\n"
        "Open this link to choose your password:\n%(link)s\n\n"
        "The link works once and for %(hours)s hours. If it has expired, ask your "
        "administrator for a new one. If you did not expect this message, you can ignore it. "
        "This message was sent automatically and cannot be replied to."
    )
    return MessageText(subject=subject % values, body=body % values, sms="")


def staff_password_link_text(
    language: str,
    link: str,
    hours: int,
    directory: Path = DEFAULT_TRANSLATIONS_DIR,
    *,
    username: str,
    units: tuple[str, ...] = (),
) -> MessageText:
    """The e-mail with a link to choose a new password, sent by an administrator to a staff
    member who has forgotten theirs (e-mail only), naming the units and the username."""
    _ = translations_for(language, directory).gettext
    values = {
        "link": link,
        "hours": hours,
        "username": username,
        "units": _units_phrase(language, units, _),
    }
    subject = _("Choose a new password for the FIT service (%(units)s)")
    body = _(
        "Hello,\n\nAn administrator has sent you a link to choose a new password for your "
        "account %(username)s in the FIT service for %(units)s:\n%(link)s\n\n"
        "The link works once and for %(hours)s hours. Your old password works until you "
        "choose a new one; then you are logged out everywhere. If you did not ask for a new "
        "password, tell your administrator. "
        "This message was sent automatically and cannot be replied to."
    )
    return MessageText(subject=subject % values, body=body % values, sms="")
