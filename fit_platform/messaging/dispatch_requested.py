"""The messages a person asked for themselves: a patient's one-time code and a new staff
member's set-password link. Consent to feedback does not apply to them; each is minted when it
is prepared, as a link token is (see ``dispatcher.py``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from fit_platform.db.models import (
    OutboxMessage,
    Patient,
)
from fit_platform.domain.codes import (
    Channel,
    OutboxState,
)
from fit_platform.messaging.channels import (
    Channel as ChannelPort,
)
from fit_platform.messaging.dispatch_record import PreparedMessage, outgoing_message
from fit_platform.messaging.outbox_records import (
    DispatchResult,
)
from fit_platform.messaging.texts import (
    one_time_code_text,
    sender_name,
    staff_invite_text,
    staff_password_link_text,
)
from fit_platform.services.one_time_codes import code_message_name, mint_code
from fit_platform.services.staff_invites import mint_invite_token

log = logging.getLogger("fit_platform.messaging.dispatcher")


class RequestedMessages:
    """The dispatcher's preparation of codes and staff invitations (a part of ``Dispatcher``)."""

    channels: Mapping[Channel, ChannelPort]
    translations_dir: Path
    staff_link_for: Callable[[str], str] | None

    def _route(
        self, row: OutboxMessage, patient: Patient
    ) -> tuple[ChannelPort, str] | DispatchResult:
        """The adapter and address for the row's channel, or the row failed (visibly)."""
        channel = self.channels.get(row.channel)
        address = patient.phone_e164 if row.channel == Channel.SMS else patient.email
        if channel is None or not address:
            row.state = OutboxState.FAILED
            row.last_error = "no channel configured" if channel is None else "no address"
            log.warning(
                "outbox message failed", extra={"outbox_id": row.id, "reason": row.last_error}
            )
            return DispatchResult(failed=1)
        return channel, address

    def _prepare_code(
        self, session: Session, row: OutboxMessage, patient: Patient, now: dt.datetime
    ) -> PreparedMessage | DispatchResult:
        """A one-time code the patient asked for. It is their own request, so consent to
        feedback does not apply; the code is minted now, as link tokens are."""
        route = self._route(row, patient)
        if isinstance(route, DispatchResult):
            return route
        channel, address = route
        message_name = code_message_name(session, patient.id, row.unit_id)
        code = mint_code(session, patient.id, now)
        # The language of the page the patient asked from, when it was not the registered one.
        language = (row.language or patient.preferred_language).value
        text = one_time_code_text(
            language,
            sender_name(language, message_name, self.translations_dir),
            code,
            self.translations_dir,
        )
        return PreparedMessage(channel, outgoing_message(row, address, text), None)

    def _prepare_staff_invite(
        self, session: Session, row: OutboxMessage, now: dt.datetime
    ) -> PreparedMessage | DispatchResult:
        """A set-password link for a new staff member: minted now (only its hash is kept),
        or the message is cancelled when the invitation was used, withdrawn or expired."""
        mail = mint_invite_token(session, row.staff_invite_id, now) if row.staff_invite_id else None
        if mail is None:
            row.state = OutboxState.CANCELLED
            row.last_error = "invitation closed"
            log.info("outbox message cancelled", extra={"outbox_id": row.id})
            return DispatchResult(cancelled=1)
        channel = self.channels.get(Channel.EMAIL)
        if channel is None or self.staff_link_for is None:
            row.state = OutboxState.FAILED
            row.last_error = "no channel configured" if channel is None else "no staff link"
            log.warning(
                "outbox message failed", extra={"outbox_id": row.id, "reason": row.last_error}
            )
            return DispatchResult(failed=1)
        write_text = staff_password_link_text if mail.new_password else staff_invite_text
        text = write_text(
            mail.language,
            self.staff_link_for(mail.token),
            mail.valid_hours,
            self.translations_dir,
            username=mail.address,
            units=mail.units,
        )
        return PreparedMessage(channel, outgoing_message(row, mail.address, text), None)
