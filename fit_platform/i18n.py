"""Language choice: the user's explicit choice > a patient's preferred language >
Accept-Language > bokmål. The choice is remembered in the (signed) session cookie.

A patient's preferred language comes from the link opened in this browser (`g`, set for each
request from the link's patient) and, for the pages around it that know no link (the privacy
notice, the page asking to open the link again), from the language the link's landing page
remembered in the session (`PATIENT_LANGUAGE_KEY`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlencode

from flask import Flask, g, request, session
from flask_babel import Babel, Domain, get_translations, refresh
from flask_babel import _get_current_context as babel_request_context
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from fit_platform.domain.codes import Language

SUPPORTED = tuple(language.value for language in Language)
# The registered language of the patient whose link this browser last opened.
PATIENT_LANGUAGE_KEY = "p_lang"
DEFAULT = Language.BOKMAAL.value
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}


def select_locale() -> str:
    chosen = session.get("lang")
    if chosen in SUPPORTED:
        return str(chosen)
    preferred = g.get("patient_language") or session.get(PATIENT_LANGUAGE_KEY)
    if preferred in SUPPORTED:
        return str(preferred)
    # Browsers often send plain "no" for Norwegian; treat it as bokmål.
    best = request.accept_languages.best_match([*SUPPORTED, "no"])
    if best == "no":
        return DEFAULT
    return best or DEFAULT


def supported_language(code: str | None) -> str | None:
    """``code`` if it is one of the platform's languages, else None (anything a client sent)."""
    return code if code in SUPPORTED else None


def choose_language(code: str | None) -> None:
    """Remember a language the user chose (the switcher's ``?lang=``, a question page's
    language buttons) for this browser, and use it for the rest of the request (a page
    shown in answer to the choice); None, or an unknown code, changes nothing."""
    if code in SUPPORTED:
        session["lang"] = code
        refresh()  # type: ignore[no-untyped-call]  # the request's locale is looked up again


def language_switch_prefix(path: str, args: MultiDict[str, str] | None) -> Markup:
    """The start of a language-switcher link, to which ``lang=<code>`` is added: this page's
    path with its other query arguments, so switching keeps the page's filters and steps.

    Always a path on this site: leading slashes are folded to one (``//host`` would be a link
    to another site). ``args`` None stands for the patient page shell's marker path
    (web/patient/page_shell.py), which is returned as it is.
    """
    if args is None:
        return Markup(path)  # noqa: S704 - the shell's own marker, replaced before sending
    kept = urlencode([(key, value) for key, value in args.items(multi=True) if key != "lang"])
    here = quote("/" + path.lstrip("/"), safe="/:@!$'()*+,;=-._~")
    return escape(f"{here}?{kept}&" if kept else f"{here}?")


# --------------------------------------------------------------------------- catalogue lookup
# Flask-Babel finds the request's catalogue anew for every string: the locale, the domain and
# a dictionary look-up, each through `g` (a pre-session view translates some 700 strings;
# caching the catalogue saves about a tenth of its CPU time). Flask-Babel keeps a
# per-request slot for it, `babel_translations`, which its `refresh()` and `force_locale()`
# already clear and restore; this domain fills it on the first look-up of a request and
# reads it after. The catalogue is the same object Flask-Babel would have returned (its own
# per-process cache), so nothing else changes.


class RequestCachedDomain(Domain):
    def get_translations(self) -> Any:
        context = babel_request_context()
        cached = getattr(context, "babel_translations", None)
        if cached is not None and cached[0] is self:
            return cached[1]
        translations = super().get_translations()  # type: ignore[no-untyped-call]  # unannotated in Flask-Babel
        if context is not None:
            context.babel_translations = (self, translations)
        return translations


K = TypeVar("K", bound=Hashable)
# (catalogue, labels) -> the labels as text; both objects are kept, so a reused id never matches.
_labels_as_text: dict[tuple[int, int], tuple[object, object, dict[Any, str]]] = {}


def labels_as_text(labels: Mapping[K, Any]) -> dict[K, str]:
    """A module's dict of lazy labels (signal titles, band names) as text in this request's
    catalogue. Each lazy string's `str()` finds the request's domain and catalogue again
    through Flask-Babel's request context; its text depends only on the catalogue, so the
    dict is made once per catalogue and kept for the process (a few languages, a few dicts)."""
    translations = get_translations()
    key = (id(translations), id(labels))
    kept = _labels_as_text.get(key)
    if kept is None or kept[0] is not translations or kept[1] is not labels:
        if len(_labels_as_text) >= 256:
            _labels_as_text.clear()
        kept = _labels_as_text[key] = (
            translations,
            labels,
            {code: str(label) for code, label in labels.items()},
        )
    return kept[2]


def install_catalogue_cache(app: Flask, babel: Babel) -> None:
    """Use `RequestCachedDomain` for the app's default domain (after `babel.init_app`)."""
    # Flask-Babel leaves Domain.__init__ unannotated.
    domain = RequestCachedDomain(domain=app.extensions["babel"].default_domain)  # type: ignore[no-untyped-call]
    babel.domain_instance = domain


# --------------------------------------------------------------------------- templates
# Flask-Babel installs template callables that look up the request's locale and catalogue on
# every `_()` (three trips through `g` each); a patient page calls `_()` some twenty times
# and the pre-session view's tables hundreds. The locale cannot change while a template renders, so
# the layout's context processor looks the catalogue up once and hands the templates these
# callables bound to it. They behave exactly as Jinja's "newstyle" gettext does (escape the
# translation when autoescaping, then always %-format it with the keyword arguments);
# macros imported without context still use Flask-Babel's own, with the same result.


class _Catalogue(Protocol):
    def ugettext(self, message: str) -> str: ...
    def ungettext(self, singular: str, plural: str, n: int) -> str: ...
    def upgettext(self, context: str, message: str) -> str: ...
    def unpgettext(self, context: str, singular: str, plural: str, n: int) -> str: ...


@functools.lru_cache(maxsize=16)  # one set per loaded catalogue: a few languages
def template_gettext(translations: _Catalogue) -> dict[str, Callable[..., str]]:
    """`_`, `gettext`, `ngettext`, `pgettext`, `npgettext` for templates, bound to one catalogue."""

    def finish(context: Context, text: str, variables: dict[str, Any]) -> str:
        if context.eval_ctx.autoescape:
            return Markup(text) % variables  # noqa: S704 - our own catalogue, as Jinja does
        return text % variables

    @pass_context
    def gettext(context: Context, message: str, /, **variables: Any) -> str:
        return finish(context, translations.ugettext(message), variables)

    @pass_context
    def ngettext(context: Context, singular: str, plural: str, n: int, /, **variables: Any) -> str:
        variables.setdefault("num", n)
        return finish(context, translations.ungettext(singular, plural, n), variables)

    @pass_context
    def pgettext(context: Context, msgctxt: str, message: str, /, **variables: Any) -> str:
        variables.setdefault("context", msgctxt)
        return finish(context, translations.upgettext(msgctxt, message), variables)

    @pass_context
    def npgettext(
        context: Context, msgctxt: str, singular: str, plural: str, n: int, /, **variables: Any
    ) -> str:
        variables.setdefault("context", msgctxt)
        variables.setdefault("num", n)
        return finish(context, translations.unpgettext(msgctxt, singular, plural, n), variables)

    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "pgettext": pgettext,
        "npgettext": npgettext,
    }
