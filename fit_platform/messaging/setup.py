"""Build the delivery channels and the dispatcher from the platform's settings."""

from __future__ import annotations

import logging
from pathlib import Path

from fit_platform.config import Settings
from fit_platform.db import Database
from fit_platform.domain.codes import Channel
from fit_platform.messaging.channels import Channel as ChannelPort
from fit_platform.messaging.dispatcher import (
    Dispatcher,
    DispatcherSettings,
    default_link,
    staff_invite_link,
)
from fit_platform.messaging.email_smtp import SmtpConfig, SmtpEmailChannel
from fit_platform.messaging.file_drop import FileDropChannel
from fit_platform.messaging.sms_http import HttpSmsChannel, SmsHttpConfig

log = logging.getLogger(__name__)


def configured_channels(settings: Settings) -> frozenset[Channel]:
    """The channels a message can leave by, as :func:`channels_from_settings` builds them,
    without opening anything: for pages that offer a channel or promise a message."""
    found: set[Channel] = set()
    if settings.sms_url and settings.sms_token:
        found.add(Channel.SMS)
    if settings.smtp_host:
        found.add(Channel.EMAIL)
    if message_files_folder(settings) is not None:
        found.update((Channel.SMS, Channel.EMAIL))
    return frozenset(found)


def channels_from_settings(settings: Settings) -> dict[Channel, ChannelPort]:
    """The channels that are configured; a message for a missing one fails visibly."""
    channels: dict[Channel, ChannelPort] = {}
    if settings.sms_url and settings.sms_token:
        channels[Channel.SMS] = HttpSmsChannel(
            SmsHttpConfig(settings.sms_url, settings.sms_token, sender=settings.sms_sender)
        )
    if settings.smtp_host:
        channels[Channel.EMAIL] = SmtpEmailChannel(
            SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                sender=settings.mail_from,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=settings.smtp_password,
            )
        )
    outbox = message_files_folder(settings)
    if outbox is not None:
        # The demo has no gateway: messages land as files so the whole flow can be watched.
        for channel in (Channel.SMS, Channel.EMAIL):
            channels.setdefault(channel, FileDropChannel(outbox, channel.value))
    return channels


def message_files_folder(settings: Settings) -> Path | None:
    """Where the demo writes messages as files (its instance folder's `outbox`); None
    outside the demo. The scheduler's clean-up removes old files there."""
    if settings.environment != "demo":
        return None
    return settings.instance_path / "outbox"


def dispatcher_from_settings(
    db: Database, settings: Settings, dispatcher_settings: DispatcherSettings | None = None
) -> Dispatcher:
    return Dispatcher(
        db,
        channels_from_settings(settings),
        default_link(settings.public_base_url),
        dispatcher_settings
        or DispatcherSettings(
            min_answer_window=settings.min_answer_window,
            zone=settings.zone,
            backoff_first=settings.send_retry,
        ),
        staff_link_for=staff_invite_link(settings.public_base_url),
    )


def warn_if_no_channels(settings: Settings, process: str) -> bool:
    """Log a warning at start when neither SMS nor e-mail is configured: invitations would
    queue, fail after their retries and reach no patient. True when it warned."""
    configured = set(channels_from_settings(settings))
    if configured:
        return False
    log.warning(
        "no SMS or e-mail channel is configured: invitations and codes cannot be sent "
        "(set FIT_SMS_URL and FIT_SMS_TOKEN, or FIT_SMTP_HOST)",
        extra={"event": "no_message_channel", "role": process},
    )
    return True
