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
from types import SimpleNamespace
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urlencode

import flask_babel
from babel import Locale
from flask import Flask, session
from flask_babel import Babel, Domain, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from fit_platform.context_objects import this_g, this_request, this_session
from fit_platform.domain.codes import Language

SUPPORTED = tuple(language.value for language in Language)
# The registered language of the patient whose link this browser last opened.
PATIENT_LANGUAGE_KEY = "p_lang"
# The language this browser chose (the switcher, a question page's language buttons): it wins
# over the patient's record and the browser's own.
CHOSEN_LANGUAGE_KEY = "lang"
DEFAULT = Language.BOKMAAL.value
TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "translations"
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}


def select_locale() -> str:
    # Asked on most requests: the objects themselves (fit_platform/context_objects.py).
    current_session = this_session()
    chosen = current_session.get(CHOSEN_LANGUAGE_KEY)
    if chosen in SUPPORTED:
        return str(chosen)
    preferred = this_g().get("patient_language") or current_session.get(PATIENT_LANGUAGE_KEY)
    if preferred in SUPPORTED:
        return str(preferred)
    # Browsers often send plain "no" for Norwegian; treat it as bokmål.
    best = this_request().accept_languages.best_match([*SUPPORTED, "no"])
    if best == "no":
        return DEFAULT
    return best or DEFAULT


# Flask-Babel parses what its locale selector returns into a `babel.Locale` once per request
# (some 7 µs); given a Locale, it takes it as it is. The platform's languages are parsed once
# here: a Locale is not changed after it is made, so one object serves every request, as
# Flask-Babel's own default locale does.
_LOCALES = {code: Locale.parse(code) for code in SUPPORTED}


def select_babel_locale() -> Locale | str:
    """`select_locale` for Flask-Babel: the same choice, as a Locale parsed once."""
    code = select_locale()
    return _LOCALES.get(code) or code


# --------------------------------------------------------------------------- request context
# Flask-Babel keeps the request's locale, domain and catalogue in a namespace on `g`, and finds
# it through the `g` proxy on every `get_locale()`, `gettext()` and `get_translations()`: two
# attribute reads that each first fail on the proxy (in Python 3.11 an AttributeError with a
# formatted message) before they reach `g`. A patient page asks about ten times. These do the
# same as Flask-Babel's functions of the same names, with the namespace read from `g` itself;
# whatever is not in it yet (the first look-up of a request, or after `refresh()`) is left to
# Flask-Babel, which finds it and keeps it there as before.


def babel_request_context() -> SimpleNamespace | None:
    """Flask-Babel's per-request namespace (its `_get_current_context`): made on first use,
    None outside an application context."""
    try:
        current = this_g()
    except RuntimeError:  # no application context: Flask-Babel's `if not g` case
        return None
    namespace: SimpleNamespace | None = current.__dict__.get("_flask_babel")
    if namespace is None:
        namespace = current._flask_babel = SimpleNamespace()
    return namespace


def get_locale() -> Locale | None:
    """`flask_babel.get_locale()`: the request's locale, None outside a request."""
    context = babel_request_context()
    if context is None:
        return None
    locale: Locale | None = getattr(context, "babel_locale", None)
    return locale if locale is not None else flask_babel.get_locale()


def get_domain() -> Domain:
    """`flask_babel.get_domain()`: the request's translation domain."""
    context = babel_request_context()
    domain: Domain | None = getattr(context, "babel_domain", None) if context is not None else None
    return domain if domain is not None else flask_babel.get_domain()


def get_translations() -> Any:
    """`flask_babel.get_translations()`: the request's catalogue."""
    return get_domain().get_translations()  # type: ignore[no-untyped-call]  # unannotated in Flask-Babel


def gettext(string: str, **variables: Any) -> str:
    """`flask_babel.gettext()`: ``string`` translated, %-formatted with ``variables``."""
    text: str = get_domain().gettext(string, **variables)  # type: ignore[no-untyped-call]
    return text


def supported_language(code: str | None) -> str | None:
    """``code`` if it is one of the platform's languages, else None (anything a client sent)."""
    return code if code in SUPPORTED else None


def choose_language(code: str | None) -> None:
    """Remember a language the user chose (the switcher's ``?lang=``, a question page's
    language buttons) for this browser, and use it for the rest of the request (a page
    shown in answer to the choice); None, or an unknown code, changes nothing."""
    if code in SUPPORTED:
        session[CHOSEN_LANGUAGE_KEY] = code
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
