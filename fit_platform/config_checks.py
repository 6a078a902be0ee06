"""The checks a process's settings pass at start, so a wrong one stops it with one line
naming the variable (process_settings.py) instead of failing later, at the first message,
login or schedule. A message names variables and never quotes a secret or a URL that may
hold one.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from fit_platform.config_error import ConfigurationError

if TYPE_CHECKING:
    from fit_platform.config import Settings

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The default sender address is deliberately unusable: a production install that sends
# e-mail must name its own (a relay or the patients' mail servers would refuse this one).
DEFAULT_MAIL_FROM = "no-reply@fit.invalid"


def check_settings(settings: Settings) -> None:
    """Raise ConfigurationError for the first setting that is wrong."""
    if settings.session_idle_minutes < 1 or settings.session_absolute_hours < 1:
        raise ConfigurationError(
            "FIT_SESSION_IDLE_MINUTES and FIT_SESSION_ABSOLUTE_HOURS must be > 0"
        )
    if not 0 <= settings.trusted_proxies <= 5:
        raise ConfigurationError("FIT_TRUSTED_PROXIES must be a number of proxies from 0 to 5")
    if settings.oidc_issuer and not (settings.oidc_client_id and settings.oidc_client_secret):
        raise ConfigurationError(
            "FIT_OIDC_ISSUER needs FIT_OIDC_CLIENT_ID and FIT_OIDC_CLIENT_SECRET"
        )
    if not settings.local_passwords and not settings.oidc_issuer:
        raise ConfigurationError(
            "FIT_LOCAL_PASSWORDS=false needs FIT_OIDC_ISSUER: nobody could log in otherwise"
        )
    _check_idporten(settings)
    _check_ratelimit_storage(settings.ratelimit_storage_uri)
    if settings.log_level not in LOG_LEVELS:
        raise ConfigurationError(f"FIT_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    if settings.risk_escalation_hours < 1:
        raise ConfigurationError("FIT_RISK_ESCALATION_HOURS must be at least 1")
    if not 0 <= settings.min_answer_window_minutes <= 7 * 24 * 60:
        raise ConfigurationError("FIT_MIN_ANSWER_WINDOW_MINUTES must be from 0 to 10080 (one week)")
    if not 1 <= settings.send_retry_seconds <= 3600:
        raise ConfigurationError("FIT_SEND_RETRY_SECONDS must be from 1 to 3600 (one hour)")
    if not 1 <= settings.enqueue_interval_seconds <= 3600:
        raise ConfigurationError("FIT_ENQUEUE_INTERVAL_SECONDS must be from 1 to 3600 (one hour)")
    for variable, (attribute, lowest, highest) in RETENTION_LIMITS.items():
        if not lowest <= getattr(settings, attribute) <= highest:
            raise ConfigurationError(f"{variable} must be from {lowest} to {highest}")
    notice_url = settings.privacy_notice_url
    if notice_url is not None and not notice_url.startswith(("https://", "http://")):
        raise ConfigurationError("FIT_PRIVACY_NOTICE_URL must be an http(s) address")
    if settings.totp_encryption_key:
        from fit_platform.services.secret_box import SecretBox

        try:
            SecretBox(settings.totp_encryption_key)
        except ValueError as exc:
            raise ConfigurationError(
                "FIT_TOTP_ENCRYPTION_KEY must be Fernet keys (32 bytes, url-safe base64), "
                "separated by commas"
            ) from exc
    try:
        settings.zone  # noqa: B018 - validates the time zone name now, not at the first schedule
    except Exception as exc:
        raise ConfigurationError(f"FIT_TIMEZONE {settings.timezone!r} is not a known zone") from exc
    _check_public_base_url(settings)
    _check_sms_gateway(settings)
    _check_mail_relay(settings)


# Allowed ranges, checked at start. The access log's floor: the EU health data space
# regulation asks for access logs of at least three years; our default is ten (docs/privacy.md).
RETENTION_LIMITS = {
    "FIT_RETENTION_LINK_TOKEN_DAYS": ("retention_link_token_days", 1, 3650),
    "FIT_RETENTION_OUTBOX_DAYS": ("retention_outbox_days", 1, 3650),
    "FIT_RETENTION_ONE_TIME_CODE_DAYS": ("retention_one_time_code_days", 1, 365),
    "FIT_RETENTION_ACCESS_LOG_YEARS": ("retention_access_log_years", 3, 30),
}

# The rate-limit storages whose driver the platform installs (redis); anything else would be
# refused only in each web worker, with a traceback.
RATELIMIT_SCHEMES = ("memory", "redis", "rediss", "redis+unix", "redis+sentinel", "redis+cluster")


def _check_ratelimit_storage(uri: str) -> None:
    """Named, never shown: a Redis URL can hold a password."""
    if uri.partition("://")[0] not in RATELIMIT_SCHEMES:
        raise ConfigurationError(
            "FIT_RATELIMIT_STORAGE_URI is not a rate-limit storage this platform can use: "
            "write redis://host:6379/0 (shared by every web worker) or memory://"
        )


IDPORTEN_ACR_LEVELS = ("idporten-loa-substantial", "idporten-loa-high")
MIN_PATIENT_ID_HASH_KEY_LENGTH = 32


def _check_idporten(settings: Settings) -> None:
    if not settings.idporten_issuer:
        return
    if not (settings.idporten_client_id and settings.idporten_client_secret):
        raise ConfigurationError(
            "FIT_IDPORTEN_ISSUER needs FIT_IDPORTEN_CLIENT_ID and FIT_IDPORTEN_CLIENT_SECRET"
        )
    if len(settings.patient_id_hash_key) < MIN_PATIENT_ID_HASH_KEY_LENGTH:
        raise ConfigurationError(
            "FIT_IDPORTEN_ISSUER needs FIT_PATIENT_ID_HASH_KEY: a random key of at least "
            f"{MIN_PATIENT_ID_HASH_KEY_LENGTH} characters (national identity numbers are "
            "stored only as a keyed hash)"
        )
    levels = settings.idporten_acr_values.split()
    if not levels or any(level not in IDPORTEN_ACR_LEVELS for level in levels):
        raise ConfigurationError(
            "FIT_IDPORTEN_ACR_VALUES must be one or both of " + ", ".join(IDPORTEN_ACR_LEVELS)
        )


def _check_public_base_url(settings: Settings) -> None:
    url = settings.public_base_url
    if not url.lower().startswith(("https://", "http://")):
        raise ConfigurationError(
            f"FIT_PUBLIC_BASE_URL must start with https:// (or http:// outside production), "
            f"not {url!r}"
        )
    if insecure_http_in_production(settings) and not settings.allow_insecure_http:
        raise ConfigurationError(
            f"FIT_PUBLIC_BASE_URL must be an https:// address in production, not {url!r}: "
            "over http the session cookies are sent without Secure and the patients' links "
            "travel in clear. Set FIT_PUBLIC_BASE_URL=https://… (the address of the TLS "
            "proxy), or FIT_ALLOW_INSECURE_HTTP=true for a lab that carries no patient data"
        )


def insecure_http_in_production(settings: Settings) -> bool:
    """True when production settings have a public base URL that is not https."""
    return settings.environment == "production" and not settings.public_base_url.lower().startswith(
        "https://"
    )


# An SMS sender is an alphanumeric name of at most 11 characters or a phone number of at
# most 15 digits (3GPP TS 23.040, the originating address); gateways refuse longer ones, and
# would refuse every message only when the dispatcher sends it.
SMS_SENDER_NAME = re.compile(r"[A-Za-z0-9 .\-]{1,11}")
SMS_SENDER_NUMBER = re.compile(r"\+?[0-9]{3,15}")


def _check_sms_gateway(settings: Settings) -> None:
    url, token = settings.sms_url, settings.sms_token
    if url and not token:
        raise ConfigurationError(
            "FIT_SMS_TOKEN is needed with FIT_SMS_URL: without the gateway's token no SMS "
            "is sent and every SMS invitation fails (docs/messaging.md)"
        )
    if token and not url:
        raise ConfigurationError(
            "FIT_SMS_URL is needed with FIT_SMS_TOKEN: the gateway's address, e.g. "
            "https://sms-gateway.example.no (messages are posted to <FIT_SMS_URL>/messages)"
        )
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query:
            raise ConfigurationError(
                "FIT_SMS_URL must be the gateway's base address, e.g. "
                "https://sms-gateway.example.no (messages are posted to <FIT_SMS_URL>/messages)"
            )
        if (
            parts.scheme == "http"
            and settings.environment == "production"
            and not settings.allow_insecure_http
            and not _is_loopback(parts.hostname)
        ):
            raise ConfigurationError(
                "FIT_SMS_URL must be an https:// address in production: over http the "
                "gateway's token and every patient's link would travel in clear (http:// is "
                "accepted for a gateway on this machine, 127.0.0.1 or localhost)"
            )
    sender = settings.sms_sender
    if not (SMS_SENDER_NAME.fullmatch(sender) or SMS_SENDER_NUMBER.fullmatch(sender)):
        raise ConfigurationError(
            "FIT_SMS_SENDER must be a sender name of at most 11 letters (a-z), digits, spaces, "
            "dots or hyphens, or a phone number of at most 15 digits: SMS gateways refuse "
            "longer ones"
        )


def _check_mail_relay(settings: Settings) -> None:
    if not settings.smtp_host:
        return
    if not 1 <= settings.smtp_port <= 65535:
        raise ConfigurationError("FIT_SMTP_PORT must be a port number from 1 to 65535")
    if bool(settings.smtp_username) != bool(settings.smtp_password):
        raise ConfigurationError(
            "FIT_SMTP_USERNAME and FIT_SMTP_PASSWORD go together: the relay's login needs both"
        )
    if settings.mail_from == DEFAULT_MAIL_FROM:
        if settings.environment == "production":
            raise ConfigurationError(
                "FIT_MAIL_FROM is needed with FIT_SMTP_HOST in production: the address "
                "patients and staff get e-mail from, e.g. fit@dps.example.no"
            )
        return
    try:
        validate_email(settings.mail_from, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError as error:
        raise ConfigurationError(
            f"FIT_MAIL_FROM must be one e-mail address, e.g. fit@dps.example.no (no name or "
            f"angle brackets; the name comes from the unit): {error}"
        ) from error


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
