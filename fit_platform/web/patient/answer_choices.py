"""An item's radio buttons, rendered once per process and kept.

The answer page's radio buttons were most of its rendering: every option of every item went
through Jinja's attribute look-ups and escaping on each request, though what they show depends
only on the item, the questionnaire's language, the field's id and name, whether an answer is
required and which answer is checked. Those few combinations are rendered from
``patient/_choices.html`` the first time and the HTML kept, so the page is the same markup.

Only values the item offers (or none) are kept: a forged or stale value posted back is
rendered each time, so what is kept stays bounded by the instrument library.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from markupsafe import Markup
from wtforms import Field

from fit_platform.domain.instruments import Item
from fit_platform.i18n import get_locale

TEMPLATE = "patient/_choices.html"

# (id of the item, language, field id, field name, required, the site's language for an
# optional item's "Skip this question", checked code) -> (item, HTML).
# The item itself is kept beside its HTML, so its id cannot be reused by another item (an
# instrument file loaded again) while the entry exists; a changed item misses and renders anew.
_RENDERED: dict[tuple[Any, ...], tuple[Item, Markup]] = {}


def choice_inputs(item: Item, field: Field, language: str) -> Markup:
    checked = field.data
    required = bool(field.flags.required)
    site_language = None if required else str(get_locale())
    key = (id(item), language, field.id, field.name, required, site_language, checked)
    cached = _RENDERED.get(key)
    if cached is not None and cached[0] is item:
        return cached[1]
    template = current_app.jinja_env.get_template(TEMPLATE)
    # Rendered by Jinja with autoescaping (an .html template): already safe HTML.
    html = Markup(  # noqa: S704
        template.render(item=item, field=field, lang=language, current_locale=site_language)
    )
    if checked is None or checked in {option.code for option in item.options}:
        _RENDERED[key] = (item, html)
    return html
