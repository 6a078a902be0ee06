"""The hidden one-time value of a creating form (see `services.form_once`)."""

from __future__ import annotations

from wtforms import HiddenField

from fit_platform.services.form_once import new_nonce


def nonce_field() -> HiddenField:
    """A hidden field holding a fresh one-time value each time the page is rendered anew; a
    form shown again after a validation error keeps the posted value."""
    return HiddenField(default=new_nonce)
