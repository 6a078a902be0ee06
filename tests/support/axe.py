"""Accessibility checks with axe-core in Chromium.

Patient pages are tested with JavaScript switched off, and axe itself needs JavaScript. So
the checker replays the exact HTML the page showed, at the same URL (same CSS, same origin),
in a second, JavaScript-enabled page of the same size, and runs axe there. This works for
pages that only exist as the answer to a POST (errors, crisis help) too.

One checker page serves a whole run: a new browser context per check cost about 0.3 s and
sending axe's 650 kB source into each page another 0.4 s, more than axe itself on most pages.
It opens a new document only when the origin changes (each test's server has its own port);
otherwise the HTML is written over the last page's, in a window that keeps axe loaded
(tests/browser/test_axe_checker.py checks that each check still sees its own stylesheet and
nothing of the page before).
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route

ROOT = Path(__file__).resolve().parents[2]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _bundled_axe() -> str:
    """axe.min.js in the axe-playwright-python package."""
    spec = importlib.util.find_spec("axe_playwright_python")
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent / "axe.min.js")


def axe_source() -> str:
    # Newest first: an explicit path, axe-core from npm (installed by ./dev when npm exists),
    # then the copy bundled in the axe-playwright-python wheel (no npm needed).
    candidates = [
        os.environ.get("AXE_JS", ""),
        str(ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"),
        _bundled_axe(),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text()
    raise RuntimeError(
        "axe-core not found: run the README's test command (it installs axe-core with npm) "
        "or set AXE_JS to the path of axe.min.js"
    )


class AxeChecker:
    """A JavaScript-enabled page with axe loaded into every document it opens."""

    def __init__(self, browser: Browser, source: str) -> None:
        self._context = browser.new_context(java_script_enabled=True)
        # Chromium runs an init script itself at the start of each document: the source
        # crosses to the browser once, and the page's Content-Security-Policy does not apply.
        self._context.add_init_script(source)
        self._checker = self._context.new_page()

    def close(self) -> None:
        self._context.close()

    def _open_at(self, url: str, html: str) -> None:
        """Open `html` as the document at `url` (its origin's stylesheets and fonts resolve as
        the page's did), with axe loaded by the context's init script."""
        the_page = re.compile(f"^{re.escape(url)}$")  # matched in the driver, not in Python

        def serve_snapshot(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        self._checker.route(the_page, serve_snapshot)
        try:
            self._checker.goto(url)
        finally:
            self._checker.unroute(the_page, serve_snapshot)

    def violations(self, page: Page) -> list[dict[str, Any]]:
        """What axe finds on `page` as it is now, at its own viewport size."""
        viewport = page.viewport_size or {"width": 1280, "height": 800}
        return self.violations_at_widths(page, [viewport["width"]], viewport["height"])[0]

    def violations_at_widths(
        self, page: Page, widths: Sequence[int], height: int = 800
    ) -> list[list[dict[str, Any]]]:
        """What axe finds on `page` as it is now, laid out at each width in turn (one list of
        violations per width). The HTML is the same at every width: a page without
        JavaScript only reflows when resized."""
        # A click that submits a form returns once the new page's URL is committed, which
        # can be before its document is parsed: wait, or axe would check an empty <html>.
        page.wait_for_load_state("load")
        html = page.content()
        url = page.url
        checker = self._checker
        checker.set_viewport_size({"width": widths[0], "height": height})
        if _origin(checker.url) == _origin(url):
            # The same origin as the last check: the HTML replaces the checker's document
            # (document.open/write), whose window keeps axe, and the page's stylesheets load
            # as they did. A navigation would run axe's 650 kB source again: about 100 ms a
            # check, more than most checks' axe run.
            checker.set_content(html)
        else:
            self._open_at(url, html)
        found = []
        for width in widths:
            checker.set_viewport_size({"width": width, "height": height})
            result = checker.evaluate(
                "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
                " resultTypes: ['violations']})",
                WCAG_TAGS,
            )
            found.append(list(result["violations"]))
        return found


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
