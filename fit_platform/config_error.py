"""The error a wrong setting raises, apart from the settings so the checks can raise it too."""

from __future__ import annotations

import re


class ConfigurationError(RuntimeError):
    """A setting is missing or invalid; the message names the environment variable and
    never quotes the value of a secret (it is logged as it is: process_settings.py)."""

    @property
    def setting(self) -> str | None:
        """The variable the message names first: the one that is wrong, or that needs others."""
        named = _SETTING_NAME.search(str(self))
        return named.group(0) if named else None


_SETTING_NAME = re.compile(r"\b(?:FIT_[A-Z0-9_]+|DATABASE_URL)\b")
