"""How a patient's own contact details are shown on their link pages: enough to recognise
them, too little to learn them.

Anyone who holds a patient's link (a forwarded message, a shared phone) sees the link pages,
so the full number or address is never shown there. The patient sees the last two digits of
the number and the first letter and domain of the e-mail address, recognises a wrong one, and
asks the therapist to correct it (docs/privacy.md, "Correcting contact details").
"""

from __future__ import annotations

HIDDEN = "\u2022"  # a bullet, read out by screen readers as "bullet", never as a digit
MASKED_LETTERS = HIDDEN * 3  # what stands for the hidden part of an e-mail address


def phone_ending(phone_e164: str | None) -> str | None:
    """The last two digits of the number (`+4791234567` → `67`); None without a number.
    Shown as "a number ending in 67", which a screen reader reads as plainly as it looks."""
    digits = [char for char in phone_e164 or "" if char.isdigit()]
    if len(digits) < 4:
        return None
    return "".join(digits[-2:])


def masked_email(email: str | None) -> str | None:
    """`kari.nordmann@example.org` → `k•••@example.org`; None when there is no address."""
    local, at, domain = (email or "").rpartition("@")
    if not at or not local or not domain:
        return None
    return f"{local[0]}{MASKED_LETTERS}@{domain}"
