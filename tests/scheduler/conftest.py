"""The loopback endpoints of the messaging tests, reused here."""

from tests.messaging.conftest import sms_endpoint, smtp_server

__all__ = ["sms_endpoint", "smtp_server"]
