"""Where a `next=` parameter may send the browser: same-site paths only.

Every view that redirects to a target it was given (`/language/<code>`, `/staff/login`, the
TOTP step, `/staff/session/extend`) goes through :func:`safe_next`, so an open redirect cannot
come back through one forgotten view. A refused target is not an error page: the user lands on
the view's own start page with a short notice, and the attempt is logged without the target
(it is attacker-controlled text).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import unquote, urlsplit

from flask import current_app, flash, g, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

MAX_NEXT_LENGTH = 2000
# Browsers drop tab, CR and LF inside URLs and read a backslash as a slash, so `/\t/evil` and
# `/\evil` both become `//evil` (another site). Control characters also break the Location
# header. None of these occur in our own paths, so a target holding any of them is refused.
_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")


def is_same_site_path(target: str) -> bool:
    """True for a path on this site such as ``/clinician/?lang=en``; False for anything else."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return False
    # Checked as given and once decoded: a target that only turns hostile when a proxy or a
    # browser decodes it once more is refused too.
    for candidate in (target, unquote(target)):
        if _UNSAFE.search(candidate):
            return False
        if not candidate.startswith("/") or candidate.startswith("//"):
            return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    """`target` when it is a same-site path, else `fallback` (with a notice when one was given)."""
    if not target:
        return fallback
    if is_same_site_path(target):
        return target
    log.info("redirect target refused", extra={"event": "unsafe_next_refused"})
    flash(_("The link pointed outside this service, so you were brought here instead."), "error")
    return fallback


# Pages a form's URL must never lead back to: the login steps themselves and static files.
_NOT_A_FORM_PAGE = frozenset({"static", "auth.login", "auth.login_code"})


def show_form_page(path: str) -> None:
    """Name the page a form's answer shows, where its URL does not lead up to it: a refused
    appointment move (`/clinician/appointments/35/move`) shows the episode's appointments page,
    which the nearest page up its URL (the caseload) is not."""
    g.form_page = path


def form_page(form_path: str) -> str | None:
    """The page a form posted to `form_path` was on: the one the view named
    (`show_form_page`), else the nearest page up its own URL.

    Our forms post to their own page (``/clinician/episodes/1/contact``) or to an action below
    it (``/clinician/episodes/1/signals/130/acknowledge`` is on ``/clinician/episodes/1``), so
    the first leading part of the path that opens with a GET is that page. Only this site's
    own routes can match, so the answer is never another site; None when nothing matches.
    """
    named: str | None = g.get("form_page")
    if named is not None and form_path == request.path:
        return named
    adapter = current_app.create_url_adapter(request)
    if adapter is None:
        return None
    parts = form_path.split("/")
    while len(parts) > 1:
        candidate = "/".join(parts)
        for path in (candidate, candidate + "/"):
            try:
                endpoint, _arguments = adapter.match(path, method="GET")
            except HTTPException:  # not found, not a GET page, or a redirect elsewhere
                continue
            if endpoint in _NOT_A_FORM_PAGE or not is_same_site_path(path):
                return None
            return path
        parts.pop()
    return None


def this_page() -> str | None:
    """Where to come back to after leaving the current request: a page view's own path (with its
    query, and no bare "?" when it has none); for a form, the page it was on (or None)."""
    if request.method in ("GET", "HEAD"):
        query = request.query_string.decode("latin-1")
        return f"{request.path}?{query}" if query else request.path
    return form_page(request.path)


def language_page(
    path: str, args: MultiDict[str, str] | None
) -> tuple[str, MultiDict[str, str] | None]:
    """The page a language link leads to (`path` and `args` are the request's): this one; for a
    form's answer at an address that only takes a POST, the page the form was on, without the
    action's query. A keyboard walk sent a closing note too long, got the pre-session view with
    the error at `/clinician/episodes/2/signals/2/resolve`, chose Bokmål and was answered 405
    (that address has no page to show); the note was lost either way, the page need not be.
    Called for a POST only; the patient pages' shell passes its marker through unchanged."""
    rule = request.url_rule
    if (
        args is None
        or request.method in ("GET", "HEAD")
        or (rule and "GET" in (rule.methods or ()))
    ):
        return path, args
    return form_page(path) or url_for("auth.home"), MultiDict()
