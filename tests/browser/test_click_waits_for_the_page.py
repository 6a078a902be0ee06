"""The browser harness itself: a click that submits a form returns only once the next page
has loaded, so an assertion read straight after sees the whole page, however busy the
machine is (see `clicks_wait_for_the_next_page` in conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Flask, Response
from playwright.sync_api import Page

from tests.support.live_server import serve

SLOW_TAIL_SECONDS = 0.8


def _slow_page_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def start() -> str:
        return (
            "<!doctype html><html lang='en'><title>Start</title>"
            "<form method='post' action='/slow'><button>Send</button></form></html>"
        )

    @app.post("/slow")
    def slow() -> Response:
        def body() -> Iterator[str]:
            # The headers and a first part go out at once, so the navigation commits; the
            # rest comes later, as from a server under load.
            yield "<!doctype html><html lang='en'><title>Slow</title><p>First part</p>"
            yield " " * 4096
            time.sleep(SLOW_TAIL_SECONDS)
            yield "<p>The whole page</p></html>"

        return Response(body(), mimetype="text/html")

    return app


def test_a_click_returns_once_the_page_it_leads_to_has_loaded(page: Page) -> None:
    with serve(_slow_page_app()) as url:
        page.goto(url + "/")
        page.get_by_role("button", name="Send").click()
        assert page.get_by_text("The whole page").count() == 1
        assert "The whole page" in page.content()
