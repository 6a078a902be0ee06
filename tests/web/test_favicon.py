"""Every page names its icon, and the conventional /favicon.ico answers with it: a browser's
icon request is no 404 in the metrics' "other 4xx", and it is cached like a static file."""

from __future__ import annotations

import re

from flask.testing import FlaskClient


def test_every_page_links_an_icon_that_is_served(client: FlaskClient) -> None:
    page = client.get("/staff/login?lang=en").get_data(as_text=True)
    match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page)
    assert match, "no icon link in the page's head"
    with client.get(match.group(1)) as icon:  # a file response: closed after reading
        assert icon.status_code == 200
        assert icon.get_data(as_text=True).startswith("<svg")


def test_the_conventional_favicon_address_answers_with_the_icon_cached(
    client: FlaskClient,
) -> None:
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert response.get_data(as_text=True).startswith("<svg")
        cache = response.headers["Cache-Control"]
        assert "no-store" not in cache and "max-age=604800" in cache
        assert "Set-Cookie" not in response.headers
