"""The accessibility checker itself (tests/support/axe.py): it replays each page's HTML in a
page with JavaScript and runs axe there, opening a new document only when the origin changes
and otherwise writing the HTML over the last one. A check must see the page's own stylesheet
(colour contrast depends on it) and nothing of the page checked before it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, Response
from playwright.sync_api import Page

from tests.support.axe import AxeChecker
from tests.support.live_server import serve

# #777 on white is 4.48:1, just under the 4.5:1 WCAG 2.1 AA asks of normal text.
FAINT = ".faint { color: #777; background: #fff; }"
PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{name}</title>{head}'
    '</head><body><main><h1>{name}</h1><p class="faint">Faint text</p></main></body></html>'
)


@pytest.fixture
def pages_url() -> Iterator[str]:
    site = Flask(__name__)

    @site.get("/faint.css")
    def faint() -> Response:
        return Response(FAINT, mimetype="text/css")

    @site.get("/styled/<name>")
    def styled(name: str) -> str:
        return PAGE.format(name=name, head='<link rel="stylesheet" href="/faint.css">')

    @site.get("/plain/<name>")
    def plain(name: str) -> str:
        return PAGE.format(name=name, head="")

    with serve(site) as url:
        yield url


def test_each_check_sees_its_pages_stylesheet_and_nothing_of_the_page_before(
    page: Page, axe_checker: AxeChecker, pages_url: str
) -> None:
    found = []
    # The first check opens a document at this origin; the others write over it.
    for path in ("/styled/first", "/styled/second", "/plain/third", "/styled/fourth"):
        page.goto(pages_url + path)
        found.append({violation["id"] for violation in axe_checker.violations(page)})
    assert found == [{"color-contrast"}, {"color-contrast"}, set(), {"color-contrast"}]
