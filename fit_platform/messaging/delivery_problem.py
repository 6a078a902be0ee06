"""What a message that failed for good tells the therapist: whose problem it was.

The pre-session view lists the patient's failed messages. "Check the phone number" is the
right advice only when the address was missing or the provider refused this recipient; when the
SMS gateway or the mail server was down or refused us (wrong credentials, 5xx, timeouts), the
patient's details are probably right and the therapist should tell the administrator instead.
The cause is read from the outbox row's `last_error`, which the channel adapters in this package
write (`sms_http.py`, `email_smtp.py`) and the dispatcher (`"no address"`, `"no channel
configured"`); `tests/messaging/test_delivery_problem.py` drives each adapter into each failure
and checks the reading, so a reworded error cannot silently change the advice.
"""

from __future__ import annotations

from enum import StrEnum

# HTTP statuses with which an SMS provider refuses a recipient or a message for good; any other
# refusal (401/403: our credentials; 413/415: our request) is the service's problem.
_RECIPIENT_REFUSALS = frozenset({400, 404, 410, 422})


class DeliveryProblem(StrEnum):
    NO_ADDRESS = "no_address"  # no phone number or e-mail address to send to
    REFUSED = "refused"  # the provider refused this recipient: the address may be wrong
    SERVICE = "service"  # the sending service failed: not about the patient's details


def delivery_problem(last_error: str | None) -> DeliveryProblem:
    """The cause of a failed message, from the error its outbox row keeps."""
    text = (last_error or "").strip()
    if text == "no address":
        return DeliveryProblem.NO_ADDRESS
    if text.startswith("recipient refused"):
        return DeliveryProblem.REFUSED
    prefix = "sms provider refused the message: "
    if text.startswith(prefix) and text[len(prefix) :].strip().isdigit():
        status = int(text[len(prefix) :])
        if status in _RECIPIENT_REFUSALS:
            return DeliveryProblem.REFUSED
    return DeliveryProblem.SERVICE
