"""Configuration: every setting in one place, read from the environment and validated at start.

Defaults are safe for a demo on one machine. Production must set a database URL and a secret key;
`load_settings` refuses to start without them rather than run with a guessable key. It also refuses
an `http://` public base URL in production (session cookies would lack `Secure` and patients'
links would travel in clear) unless `FIT_ALLOW_INSECURE_HTTP=true` says this is a lab. The
checks themselves are in config_checks.py.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from fit_platform.config_checks import (
    DEFAULT_MAIL_FROM,
    check_settings,
    insecure_http_in_production,
)
from fit_platform.config_error import ConfigurationError

Environment = Literal["production", "demo", "test"]
log = logging.getLogger(__name__)

ENVIRONMENTS: tuple[Environment, ...] = ("production", "demo", "test")
# The service's one time zone (FIT_TIMEZONE): local days, quiet hours and send times.
# Nothing else names a zone; code given no settings takes `default_zone()`.
DEFAULT_TIMEZONE = "Europe/Oslo"


def default_zone() -> ZoneInfo:
    """The zone of settings left at their default (FIT_TIMEZONE unset)."""
    return ZoneInfo(DEFAULT_TIMEZONE)


@dataclass(frozen=True)
class Settings:
    environment: Environment
    database_url: str
    secret_key: str
    public_base_url: str
    timezone: str = DEFAULT_TIMEZONE
    instance_path: Path = field(default_factory=lambda: Path("instance"))
    default_locale: str = "nb"
    # Outside world: SMS gateway over HTTP and an SMTP relay.
    sms_url: str | None = None
    sms_token: str | None = None
    sms_sender: str = "FIT"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = DEFAULT_MAIL_FROM
    # Rate limits shared across web workers in production (e.g. redis://127.0.0.1:6379/0).
    ratelimit_storage_uri: str = "memory://"
    # For load benchmarks only, where every request comes from one address.
    ratelimit_enabled: bool = True
    # How many reverse proxies in front of the app set X-Forwarded-For/-Proto/-Host; 0 trusts none.
    trusted_proxies: int = 0
    require_totp_for_therapists: bool = False
    # Administrators reset others' second factor and download a patient's whole record.
    require_totp_for_admins: bool = False
    session_idle_minutes: int = 30
    session_absolute_hours: int = 10
    # Open risk signals not acknowledged within this many hours are shown to the unit lead.
    risk_escalation_hours: int = 24
    # An invitation with less time than this left to answer is not sent (docs/messaging.md).
    min_answer_window_minutes: int = 60
    # A message whose gateway failed for now is tried again after this many seconds, then
    # twice as long after each further failure, up to one hour (docs/messaging.md).
    send_retry_seconds: int = 30
    # How often the scheduler looks for invitations that have become due (docs/deploy.md).
    enqueue_interval_seconds: int = 60
    log_level: str = "INFO"
    # Prometheus scrape endpoint /metrics: off unless enabled; then a bearer token, or
    # loopback only when no token is set (see docs/deploy.md).
    metrics_enabled: bool = False
    metrics_token: str | None = None
    # The scheduler serves its own counters (job runs and failures) on this loopback port; 0 = off.
    scheduler_metrics_port: int = 0
    # Fernet key(s) that encrypt TOTP secrets at rest; the first encrypts, any may decrypt.
    totp_encryption_key: str = ""
    # FHIR: the base of the canonical URLs (empty = this platform's own /fhir, where the
    # Questionnaires are served) and the identifier system of the EPR's patient record ids.
    fhir_base: str = ""
    fhir_patient_identifier_system: str = "urn:fit-platform:patient-record-id"
    # Staff login through an OpenID Connect provider (docs/identity.md); off when no issuer.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_provider_name: str = "HelseID"
    oidc_scopes: str = "openid profile"
    # False: staff log in only through the provider (no password form).
    local_passwords: bool = True
    # Patients' later visits through ID-porten (docs/identity.md); off when no issuer. The
    # national identity number is kept only as HMAC-SHA256 under `patient_id_hash_key`.
    idporten_issuer: str | None = None
    idporten_client_id: str | None = None
    idporten_client_secret: str | None = None
    idporten_acr_values: str = "idporten-loa-substantial"
    idporten_scopes: str = "openid profile"
    patient_id_hash_key: str = ""
    # Skatteetaten's synthetic (Tenor) test numbers, as ID-porten's test environment sends them.
    national_id_test_numbers: bool = False
    # Retention (docs/privacy.md): how long data kept only to run the service is kept. The
    # scheduler's clean-up job applies the first three; access-log rows older than their
    # limit are removed by the database owner (`fit-platform retention purge-access-log`).
    retention_link_token_days: int = 30
    retention_outbox_days: int = 90
    retention_one_time_code_days: int = 1
    retention_access_log_years: int = 10
    # The privacy notice (/privacy): the data controller (behandlingsansvarlig), whom to ask
    # (personvernombud) and, optionally, the health trust's full notice.
    privacy_controller: str | None = None
    privacy_contact: str | None = None
    privacy_notice_url: str | None = None
    # The service's own instrument definitions (licensed instruments, official translations),
    # loaded beside the shipped library at start (docs/instruments.md).
    instruments_dir: Path | None = None
    # A lab or a closed test network may run production settings over plain http; never a clinic.
    allow_insecure_http: bool = False

    @property
    def idporten_enabled(self) -> bool:
        return bool(self.idporten_issuer and self.patient_id_hash_key)

    @property
    def fhir_canonical_base(self) -> str:
        return (self.fhir_base or f"{self.public_base_url}/fhir").rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def min_answer_window(self) -> timedelta:
        return timedelta(minutes=self.min_answer_window_minutes)

    @property
    def send_retry(self) -> timedelta:
        return timedelta(seconds=self.send_retry_seconds)

    @property
    def retention(self) -> RetentionSettings:
        return RetentionSettings(
            link_tokens=timedelta(days=self.retention_link_token_days),
            outbox_details=timedelta(days=self.retention_outbox_days),
            one_time_codes=timedelta(days=self.retention_one_time_code_days),
            access_log_years=self.retention_access_log_years,
        )


@dataclass(frozen=True)
class RetentionSettings:
    """How long each kind of operational record is kept after it stops being needed."""

    link_tokens: timedelta = timedelta(days=30)
    outbox_details: timedelta = timedelta(days=90)
    one_time_codes: timedelta = timedelta(days=1)
    access_log_years: int = 10


def check_database_url(name: str, url: str) -> str:
    """`url` when SQLAlchemy can use it with the installed driver (PostgreSQL through
    psycopg 3, or SQLite); otherwise a ConfigurationError naming the variable, never the URL
    itself (it may hold a password). `postgres://…`, which many hosting panels print, would
    otherwise fail later with a traceback, at the first connection."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
        usable = parsed.get_backend_name() == "sqlite" or (
            parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() == "psycopg"
        )
    except (ArgumentError, NoSuchModuleError, ValueError):
        usable = False
    if not usable:
        raise ConfigurationError(
            f"{name} is not a database URL this platform can use: write "
            "postgresql+psycopg://user:password@host:5432/name (or sqlite:///path for a trial)"
        )
    return url


def _env(environ: dict[str, str], name: str, default: str | None = None) -> str | None:
    value = environ.get(name)
    return value if value not in (None, "") else default


def instruments_dir_setting(environ: dict[str, str] | None = None) -> Path | None:
    """`FIT_INSTRUMENTS_DIR`, read alone: every command loads the service's own instruments
    at start, also those that need no other setting (`instruments list`)."""
    raw_dir = _env(dict(os.environ if environ is None else environ), "FIT_INSTRUMENTS_DIR")
    return Path(raw_dir) if raw_dir else None


def _flag(environ: dict[str, str], name: str, default: bool) -> bool:
    raw = _env(environ, name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, not {raw!r}")


def _int(environ: dict[str, str], name: str, default: int) -> int:
    raw = _env(environ, name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}") from exc


def _demo_secret_key(instance_path: Path) -> str:
    """The demo keeps a generated key in the instance folder so sessions survive a restart."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _new_totp_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _demo_totp_key(instance_path: Path) -> str:
    """Like the demo's secret key: generated once and kept in the instance folder."""
    key_file = instance_path / "totp_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = _new_totp_key()
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _patient_id_hash_key(environ: dict[str, str], environment: str, instance_path: Path) -> str:
    """Production: only from FIT_PATIENT_ID_HASH_KEY (checked with ID-porten below). The demo
    keeps a generated key in the instance folder (a new key would orphan every stored hash)."""
    key = _env(environ, "FIT_PATIENT_ID_HASH_KEY")
    if key is not None or environment == "production":
        return key or ""
    if environment == "demo":
        key_file = instance_path / "patient_id_hash_key"
        if not key_file.exists():
            instance_path.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()
    return secrets.token_urlsafe(48)


def warn_if_insecure_http(settings: Settings, process: str) -> bool:
    """Log a warning at start when production runs over plain http (a lab); True when it warned."""
    if not insecure_http_in_production(settings):
        return False
    log.warning(
        "FIT_ALLOW_INSECURE_HTTP is on: production settings over http, cookies without Secure; "
        "for a lab only, never with patient data",
        extra={"event": "insecure_http_allowed", "role": process},
    )
    return True


def _refuse_quotes_left_in(env: dict[str, str]) -> None:
    """A setting wrapped in quotes was read by a program that keeps them (podman and docker
    `--env-file` take each line as it is); systemd and sh remove them. Named, never shown."""
    for name, value in env.items():
        if name.startswith("FIT_") and len(value) >= 2 and value[0] == value[-1] in "'\"":
            raise ConfigurationError(
                f"{name} is wrapped in quotes: the program that read the env file kept them "
                "(podman and docker --env-file do); give it without quotes there (docs/deploy.md)"
            )


def load_settings(
    environ: dict[str, str] | None = None, overrides: dict[str, object] | None = None
) -> Settings:
    """Read settings from environment variables (prefix FIT_), then apply explicit overrides."""
    env = dict(os.environ if environ is None else environ)
    _refuse_quotes_left_in(env)
    overrides = dict(overrides or {})
    environment = str(overrides.pop("environment", None) or _env(env, "FIT_ENV", "production"))
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(f"FIT_ENV must be one of {', '.join(ENVIRONMENTS)}")
    instance_path = Path(
        str(overrides.pop("instance_path", None) or _env(env, "FIT_INSTANCE_PATH", "instance"))
    ).resolve()

    database_url = _env(env, "FIT_DATABASE_URL") or _env(env, "DATABASE_URL")
    if database_url is None:
        if environment == "production" and "database_url" not in overrides:
            raise ConfigurationError("FIT_DATABASE_URL is required in production")
        database_url = f"sqlite:///{instance_path / 'fit_platform.sqlite3'}"
    check_database_url("FIT_DATABASE_URL", database_url)

    secret_key = _env(env, "FIT_SECRET_KEY")
    if secret_key is None and "secret_key" not in overrides:
        if environment == "production":
            raise ConfigurationError("FIT_SECRET_KEY is required in production")
        secret_key = (
            _demo_secret_key(instance_path) if environment == "demo" else secrets.token_hex(32)
        )
    elif environment == "production" and secret_key is not None and len(secret_key) < 32:
        # The example env file's CHANGE-ME, or any key short enough to guess: it signs every
        # staff session cookie.
        raise ConfigurationError(
            "FIT_SECRET_KEY must be at least 32 random characters in production; make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )

    totp_key = _env(env, "FIT_TOTP_ENCRYPTION_KEY")
    if totp_key is None and "totp_encryption_key" not in overrides:
        if environment == "production":
            raise ConfigurationError("FIT_TOTP_ENCRYPTION_KEY is required in production")
        totp_key = _demo_totp_key(instance_path) if environment == "demo" else _new_totp_key()

    public_base_url = _env(env, "FIT_PUBLIC_BASE_URL")
    if public_base_url is None:
        # Every patient link and staff e-mail starts with it: a missing one in production
        # quietly became the demo's loopback address (with FIT_ALLOW_INSECURE_HTTP), or was
        # refused as "not https" quoting an address nobody had written.
        if environment == "production" and "public_base_url" not in overrides:
            raise ConfigurationError(
                "FIT_PUBLIC_BASE_URL is required in production: the https:// address of the "
                "service (its TLS proxy), which every patient link and staff e-mail starts with"
            )
        public_base_url = "http://127.0.0.1:5000"

    values: dict[str, object] = {
        "environment": environment,
        "database_url": database_url,
        "secret_key": secret_key,
        "public_base_url": public_base_url.rstrip("/"),
        "timezone": _env(env, "FIT_TIMEZONE", DEFAULT_TIMEZONE),
        "instance_path": instance_path,
        "sms_url": _env(env, "FIT_SMS_URL"),
        "sms_token": _env(env, "FIT_SMS_TOKEN"),
        "sms_sender": _env(env, "FIT_SMS_SENDER", "FIT"),
        "smtp_host": _env(env, "FIT_SMTP_HOST"),
        "smtp_port": _int(env, "FIT_SMTP_PORT", 587),
        "smtp_starttls": _flag(env, "FIT_SMTP_STARTTLS", True),
        "smtp_username": _env(env, "FIT_SMTP_USERNAME"),
        "smtp_password": _env(env, "FIT_SMTP_PASSWORD"),
        "mail_from": _env(env, "FIT_MAIL_FROM", DEFAULT_MAIL_FROM),
        "ratelimit_storage_uri": _env(env, "FIT_RATELIMIT_STORAGE_URI", "memory://"),
        "ratelimit_enabled": _flag(env, "FIT_RATELIMIT_ENABLED", True),
        "trusted_proxies": _int(env, "FIT_TRUSTED_PROXIES", 0),
        "require_totp_for_therapists": _flag(env, "FIT_REQUIRE_TOTP_FOR_THERAPISTS", False),
        "require_totp_for_admins": _flag(env, "FIT_REQUIRE_TOTP_FOR_ADMINS", False),
        "session_idle_minutes": _int(env, "FIT_SESSION_IDLE_MINUTES", 30),
        "session_absolute_hours": _int(env, "FIT_SESSION_ABSOLUTE_HOURS", 10),
        "risk_escalation_hours": _int(env, "FIT_RISK_ESCALATION_HOURS", 24),
        "min_answer_window_minutes": _int(env, "FIT_MIN_ANSWER_WINDOW_MINUTES", 60),
        "send_retry_seconds": _int(env, "FIT_SEND_RETRY_SECONDS", 30),
        "enqueue_interval_seconds": _int(env, "FIT_ENQUEUE_INTERVAL_SECONDS", 60),
        "log_level": (_env(env, "FIT_LOG_LEVEL", "INFO") or "").upper(),
        "metrics_enabled": _flag(env, "FIT_METRICS_ENABLED", False),
        "metrics_token": _env(env, "FIT_METRICS_TOKEN"),
        "scheduler_metrics_port": _int(env, "FIT_SCHEDULER_METRICS_PORT", 0),
        "totp_encryption_key": totp_key,
        "fhir_base": _env(env, "FIT_FHIR_BASE", "") or "",
        "oidc_issuer": _env(env, "FIT_OIDC_ISSUER"),
        "oidc_client_id": _env(env, "FIT_OIDC_CLIENT_ID"),
        "oidc_client_secret": _env(env, "FIT_OIDC_CLIENT_SECRET"),
        "oidc_provider_name": _env(env, "FIT_OIDC_PROVIDER_NAME", "HelseID"),
        "oidc_scopes": _env(env, "FIT_OIDC_SCOPES", "openid profile"),
        "local_passwords": _flag(env, "FIT_LOCAL_PASSWORDS", True),
        "idporten_issuer": _env(env, "FIT_IDPORTEN_ISSUER"),
        "idporten_client_id": _env(env, "FIT_IDPORTEN_CLIENT_ID"),
        "idporten_client_secret": _env(env, "FIT_IDPORTEN_CLIENT_SECRET"),
        "idporten_acr_values": _env(env, "FIT_IDPORTEN_ACR_VALUES", "idporten-loa-substantial"),
        "idporten_scopes": _env(env, "FIT_IDPORTEN_SCOPES", "openid profile"),
        "patient_id_hash_key": _patient_id_hash_key(env, environment, instance_path),
        "national_id_test_numbers": _flag(
            env, "FIT_NATIONAL_ID_TEST_NUMBERS", environment != "production"
        ),
        "fhir_patient_identifier_system": _env(
            env, "FIT_FHIR_PATIENT_IDENTIFIER_SYSTEM", "urn:fit-platform:patient-record-id"
        ),
        "retention_link_token_days": _int(env, "FIT_RETENTION_LINK_TOKEN_DAYS", 30),
        "retention_outbox_days": _int(env, "FIT_RETENTION_OUTBOX_DAYS", 90),
        "retention_one_time_code_days": _int(env, "FIT_RETENTION_ONE_TIME_CODE_DAYS", 1),
        "retention_access_log_years": _int(env, "FIT_RETENTION_ACCESS_LOG_YEARS", 10),
        "privacy_controller": _env(env, "FIT_PRIVACY_CONTROLLER"),
        "privacy_contact": _env(env, "FIT_PRIVACY_CONTACT"),
        "privacy_notice_url": _env(env, "FIT_PRIVACY_NOTICE_URL"),
        "instruments_dir": instruments_dir_setting(env),
        "allow_insecure_http": _flag(env, "FIT_ALLOW_INSECURE_HTTP", False),
    }
    values.update(overrides)
    settings = Settings(**values)  # type: ignore[arg-type]
    check_settings(settings)
    return settings
