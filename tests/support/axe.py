"""Accessibility checks with axe-core in Chromium.

Patient pages are tested with JavaScript switched off, and axe itself needs JavaScript. So
the checker replays the exact HTML the page showed, at the same URL (same CSS, same origin),
in a second, JavaScript-enabled page of the same size, and runs axe there. This works for
pages that only exist as the answer to a POST (errors, crisis help) too.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route

ROOT = Path(__file__).resolve().parents[2]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_source() -> str:
    # Newest first: an explicit path, axe-core from npm (installed by ./dev when npm exists),
    # then the copy bundled in the axe-playwright-python wheel (no npm needed).
    candidates = [
        os.environ.get("AXE_JS", ""),
        str(ROOT / ".ci" / "node" / "node_modules" / "axe-core" / "axe.min.js"),
        str(Path(importlib.util.find_spec("axe_playwright_python").origin).parent / "axe.min.js"),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate).read_text()
    raise RuntimeError(
        "axe-core not found: run the README's test command (it installs axe-core with npm) "
        "or set AXE_JS to the path of axe.min.js"
    )


def axe_violations(browser: Browser, page: Page, source: str) -> list[dict[str, Any]]:
    # A click that submits a form returns once the new page's URL is committed, which can be
    # before its document is parsed: wait, or axe would check an empty <html>.
    page.wait_for_load_state("load")
    html = page.content()
    url = page.url
    viewport = page.viewport_size or {"width": 1280, "height": 800}
    context = browser.new_context(viewport=viewport, java_script_enabled=True)
    try:
        checker = context.new_page()

        def serve_snapshot(route: Route) -> None:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

        checker.route(url, serve_snapshot)
        checker.goto(url)
        checker.evaluate(source)
        result = checker.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            WCAG_TAGS,
        )
    finally:
        context.close()
    return list(result["violations"])


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
