"""Accessibility checks with axe-core in Chromium.

Patient pages are tested with JavaScript switched off, and axe itself needs JavaScript. So
the checker replays the exact HTML the page showed, at the same URL (same CSS, same origin),
in a second, JavaScript-enabled page of the same size, and runs axe there. This works for
pages that only exist as the answer to a POST (errors, crisis help) too.

One checker page serves a whole run: a new browser context per check cost about 0.3 s and
sending axe's 650 kB source into each page another 0.4 s, more than axe itself on most pages.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

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

        def is_the_page(candidate: str) -> bool:
            return candidate == url

        def serve_snapshot(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        checker = self._checker
        checker.set_viewport_size({"width": widths[0], "height": height})
        checker.route(is_the_page, serve_snapshot)
        try:
            checker.goto(url)
        finally:
            checker.unroute(is_the_page, serve_snapshot)
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


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
