"""Settings for a process at start, and the one line an operator reads when one is wrong.

Every process reads its settings through here: the web (gunicorn.conf.py, in gunicorn's
master before a worker is forked), the scheduler, the demo and each `fit-platform` command.
A bad setting then gives one JSON line at ERROR, like every other line a log shipper reads,
with `"event": "configuration_invalid"`, the variable in `setting` and what is wrong in
`msg`, and exit status 1. No traceback: it would bury the one sentence that matters, and
gunicorn's workers would each print one and the master three more lines before giving up.
A ConfigurationError's message names variables and never quotes a secret's value.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import NoReturn

from fit_platform.config import Settings, load_settings, warn_if_insecure_http
from fit_platform.config_error import ConfigurationError
from fit_platform.logging_setup import configure_logging

log = logging.getLogger("fit_platform.config")

EXIT_CONFIGURATION = 1


def exit_on_configuration_error(error: ConfigurationError, role: str) -> NoReturn:
    # The level is a setting too, and the settings could not be read: the default one.
    configure_logging()
    log.error(
        str(error),
        extra={"event": "configuration_invalid", "setting": error.setting, "role": role},
    )
    raise SystemExit(EXIT_CONFIGURATION)


def settings_or_exit(role: str, overrides: dict[str, object] | None = None) -> Settings:
    """The process's settings, or the one-line report and exit 1 (see the module doc)."""
    try:
        return load_settings(overrides=overrides)
    except ConfigurationError as error:
        exit_on_configuration_error(error, role)


def start_process(role: str) -> Settings:
    """What a command does first: its settings, logging at their level, and the warning of
    production settings over plain http (a lab)."""
    settings = settings_or_exit(role)
    configure_logging(settings.log_level)
    warn_if_insecure_http(settings, role)
    return settings


def web_bind(environ: Mapping[str, str] | None = None) -> str:
    """FIT_BIND for gunicorn.conf.py (default 127.0.0.1:8000), checked as gunicorn reads it:
    gunicorn itself would refuse a bad one with a plain-text line."""
    from gunicorn.util import parse_address

    raw = (os.environ if environ is None else environ).get("FIT_BIND") or "127.0.0.1:8000"
    try:
        parse_address(raw)
    except (RuntimeError, ValueError) as error:
        raise ConfigurationError(
            f"FIT_BIND must be host:port (e.g. 127.0.0.1:8000) or unix:/path, not {raw!r}"
        ) from error
    return raw


def web_workers(environ: Mapping[str, str] | None = None) -> int:
    """FIT_WEB_WORKERS for gunicorn.conf.py: a whole number of at least 1 (default 4)."""
    raw = (os.environ if environ is None else environ).get("FIT_WEB_WORKERS") or "4"
    if not raw.strip().isdigit() or int(raw) < 1:
        raise ConfigurationError(
            f"FIT_WEB_WORKERS must be a whole number of at least 1, not {raw!r}"
        )
    return int(raw)
