"""The patient layout around a page, rendered once per process for each language and clinic.

The header, the clinic bar and the footer of a patient page (``patient/layout.html`` on
``base.html``) are most of its markup and a good part of its rendering: a dozen translated
strings, four ``url_for`` calls and the language switcher on every request. They depend only
on the language, the clinic's name and phone, whether the footer offers the consent link, and
the application's URL root; the page's title and content and the path in the language
switcher's links are the only parts that change from request to request.

So the layout is rendered once for each of those keys from ``patient/_shell.html`` (the layout
with markers where the title, the content and the path go), split at the markers, and kept; a
page renders only its own ``title`` and ``content`` blocks with Jinja (and names its
``language_form``, which is part of the key) and is put together from the pieces. The HTML is
the same as a full render (``tests/web/test_patient_page_shell.py`` compares them). Nothing
of a patient is kept: the key holds the clinic, the language and the link's status, and the
layout is rendered with a stand-in that carries only those.

A full render is used instead when the layout would show more than the key says: a signed-in
staff member (the staff navigation), messages flashed to the session, or a page template that
overrides other blocks than those three.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from flask import (
    render_template,
    session,
)
from flask.signals import before_render_template, template_rendered
from jinja2 import Template, nodes
from jinja2.utils import concat
from markupsafe import Markup

from fit_platform.context_objects import this_app, this_g, this_request
from fit_platform.i18n import LANGUAGE_NAMES, get_locale, language_switch_prefix
from fit_platform.services.answering import LinkContext

SHELL_TEMPLATE = "patient/_shell.html"
LAYOUT_TEMPLATE = "patient/layout.html"
# The only blocks a page may fill for its layout to be kept: the layout fills the others.
# The language form (the question pages' form, which the language choices then submit) makes
# those choices buttons instead of links, so it is in the key.
PAGE_BLOCKS = frozenset({"title", "content", "language_form"})
# Markers where the per-request parts go: a NUL byte cannot come from the layout's own text.
TITLE, PATH, CONTENT = "\x00title\x00", "\x00path\x00", "\x00content\x00"
_MARKER = re.compile("(\x00(?:title|path|content)\x00)")
# Languages x clinics x link states: enough for a large service, and bounded.
SHELLS_KEPT = 512


@dataclass(frozen=True)
class _ClinicOnly:
    """What the layout reads from a LinkContext, and nothing else of the patient's link."""

    unit_name: str | None
    unit_phone: str | None
    status: str
    # The footer offers the choices only while the episode is active (readers.treatment_ended).
    episode_active: bool


class _PathMarker:
    """Stands in for ``request`` in the layout: its only use there is the language switcher's
    links (``request.path`` and ``request.args``); the marker stands for both."""

    path = Markup(PATH)  # noqa: S704 - our own marker, replaced before sending
    args = None


def render_page(
    template_name: str, ctx: LinkContext, token: str | None = None, **values: Any
) -> str:
    """Render a patient page that extends ``patient/layout.html``: the same HTML as
    ``render_template(template_name, ctx=ctx, token=token, **values)``, with the layout kept."""
    app = this_app()
    current = this_request()  # not the proxy: fit_platform/context_objects.py
    template = app.jinja_env.get_template(template_name)
    if (
        not _fills_only_page_blocks(template)
        or this_g().get("staff") is not None
        or "_flashes" in session
    ):
        return render_template(template, ctx=ctx, token=token, **values)
    context = {"ctx": ctx, "token": token, **values}
    app.update_template_context(context)
    jinja_context = template.new_context(context)
    form_block = template.blocks.get("language_form")
    language_form = concat(form_block(jinja_context)).strip() if form_block is not None else ""
    shell = _shells_of(app)(
        str(get_locale()),
        current.script_root,
        ctx.unit_name,
        ctx.unit_phone,
        str(ctx.status),
        ctx.episode_active,
        token is not None,
        language_form,
    )
    if shell is None:
        return render_template(template, ctx=ctx, token=token, **values)
    before_render_template.send(
        app, _async_wrapper=app.ensure_sync, template=template, context=context
    )
    parts = {
        TITLE: concat(template.blocks["title"](jinja_context)),
        CONTENT: concat(template.blocks["content"](jinja_context)),
        PATH: str(language_switch_prefix(current.path, current.args)),
    }
    html = "".join(parts.get(piece, piece) for piece in shell)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template, context=context)
    return html


@functools.lru_cache(maxsize=64)
def _fills_only_page_blocks(template: Template) -> bool:
    """The page extends the patient layout directly and fills no block but its own."""
    environment = template.environment
    assert environment.loader is not None and template.name is not None
    source = environment.loader.get_source(environment, template.name)[0]
    parents = [node.template for node in environment.parse(source).find_all(nodes.Extends)]
    return (
        len(parents) == 1
        and isinstance(parents[0], nodes.Const)
        and parents[0].value == LAYOUT_TEMPLATE
        and set(template.blocks) <= PAGE_BLOCKS
    )


def _shells_of(app: Any) -> Any:
    """This application's kept layouts: one cache per app, so an app never serves a layout
    another app (other translations, another URL map) rendered in the same process."""
    shells = app.extensions.get("patient_page_shells")
    if shells is None:
        shells = app.extensions["patient_page_shells"] = functools.lru_cache(maxsize=SHELLS_KEPT)(
            _shell
        )
    return shells


def _shell(
    locale: str,
    script_root: str,
    unit_name: str | None,
    unit_phone: str | None,
    status: str,
    episode_active: bool,
    has_token: bool,
    language_form: str,
) -> tuple[str, ...] | None:
    """The layout in pieces, the markers among them; None if the markers did not come out
    once each (the layout then renders in full every time for this key)."""
    del locale, script_root  # part of the key: read by the layout from the request
    html = render_template(
        SHELL_TEMPLATE,
        ctx=_ClinicOnly(unit_name, unit_phone, status, episode_active),
        token="-" if has_token else None,
        request=_PathMarker(),
        title_marker=Markup(TITLE),  # noqa: S704
        content_marker=Markup(CONTENT),  # noqa: S704
        language_form=language_form,
    )
    pieces = tuple(piece for piece in _MARKER.split(html) if piece)
    if (
        pieces.count(TITLE) != 1
        or pieces.count(CONTENT) != 1
        or pieces.count(PATH) != (0 if language_form else len(LANGUAGE_NAMES))
    ):
        return None
    return pieces
