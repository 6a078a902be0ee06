"""The fixed short texts of invitations and reminders, per language.

Messages carry no health information: only the clinic's name, the link and a line on
how to pause or stop. Never an instrument name, score or diagnosis, whatever the
invitation is for; that is why no function here takes anything but clinic and link.

Translated with `babel.support.Translations` from the top-level `translations/` folder
(compiled `.mo` files), not Flask-Babel, so the scheduler and dispatcher processes use
the same catalogs as the web. Without a compiled catalog the English msgid is used.
"""

from __future__ import annotations

import functools
import gettext as _gettext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from babel.support import Translations

LANGUAGES = ("nb", "nn", "en")
DEFAULT_LANGUAGE = "nb"
DOMAIN = "messages"

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
    near the phone what kind of treatment the patient gets."""
    if message_name:
        return message_name
    _ = translations_for(language, directory).gettext
    return _("The health service")


def message_text(
    kind: MessageKind,
    language: str,
    clinic: str,
    link: str,
    directory: Path = DEFAULT_TRANSLATIONS_DIR,
) -> MessageText:
    """SMS text, e-mail subject and e-mail body for one message. Translate first,
    then fill in the clinic name and link (never formatted into the msgid)."""
    _ = translations_for(language, directory).gettext
    values = {"clinic": clinic, "link": link}
    if kind is MessageKind.INVITATION:
        sms = _("%(clinic)s has sent you a few short questions. Answer here: %(link)s")
        subject = _("A few short questions from %(clinic)s")
        body = _(
            "Hello,\n\n%(clinic)s has sent you a few short questions. "
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
    return MessageText(subject=subject % values, body=body % values, sms=sms % values)


def one_time_code_text(
    language: str, clinic: str, code: str, directory: Path = DEFAULT_TRANSLATIONS_DIR
) -> MessageText:
    """The message carrying a one-time code the patient asked for (to see their progress)."""
    _ = translations_for(language, directory).gettext
    values = {"clinic": clinic, "code": code}
    sms = _("Your code for %(clinic)s: %(code)s. It works for 10 minutes.")
    subject = _("Your code from %(clinic)s")
    body = _(
        "Hello,\n\nYour code for %(clinic)s is %(code)s. It works for 10 minutes.\n\n"
        "If you did not ask for a code, you can ignore this message. "
        "This message was sent automatically and cannot be replied to."
    )
    return MessageText(subject=subject % values, body=body % values, sms=sms % values)


def staff_invite_text(
    language: str, link: str, hours: int, directory: Path = DEFAULT_TRANSLATIONS_DIR
) -> MessageText:
    """The e-mail that invites a new staff member to set their password (e-mail only)."""
    _ = translations_for(language, directory).gettext
    values = {"link": link, "hours": hours}
    subject = _("Set your password for the FIT service")
    body = _(
        "Hello,\n\nAn administrator has made an account for you in the FIT service. "
        "Open this link to choose your password:\n%(link)s\n\n"
        "The link works once and for %(hours)s hours. If it has expired, ask your "
        "administrator for a new one. If you did not expect this message, you can ignore it. "
        "This message was sent automatically and cannot be replied to."
    )
    return MessageText(subject=subject % values, body=body % values, sms="")


def staff_password_link_text(
    language: str, link: str, hours: int, directory: Path = DEFAULT_TRANSLATIONS_DIR
) -> MessageText:
    """The e-mail with a link to choose a new password, sent by an administrator to a staff
    member who has forgotten theirs (e-mail only)."""
    _ = translations_for(language, directory).gettext
    values = {"link": link, "hours": hours}
    subject = _("Choose a new password for the FIT service")
    body = _(
        "Hello,\n\nAn administrator has sent you a link to choose a new password for your "
        "account in the FIT service:\n%(link)s\n\n"
        "The link works once and for %(hours)s hours. Your old password works until you "
        "choose a new one; then you are logged out everywhere. If you did not ask for a new "
        "password, tell your administrator. "
        "This message was sent automatically and cannot be replied to."
    )
    return MessageText(subject=subject % values, body=body % values, sms="")
