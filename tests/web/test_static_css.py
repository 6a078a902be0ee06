"""Style sheets are served without their comments (web/static_css.py), conditionally, and
only from the static folder."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

import fit_platform

SITE_CSS = Path(fit_platform.__file__).parent / "static" / "css" / "site.css"


def test_the_site_css_is_served_without_its_comments_and_every_rule_kept(
    client: FlaskClient,
) -> None:
    response = client.get("/static/css/site.css")
    served = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/css"
    written = SITE_CSS.read_text(encoding="utf-8")
    assert "/*" in written and "/*" not in served
    assert len(served) < 0.8 * len(written)
    # A rule the comments explain is there, without the spaces.
    assert ".checkbox input{width:1.4rem;height:1.4rem;flex:none}" in served
    assert served.count("{") == written.count("{") - _braces_in_comments(written)


def test_a_second_request_with_its_etag_gets_304_and_other_files_are_served_as_before(
    client: FlaskClient,
) -> None:
    first = client.get("/static/css/site.css")
    etag = first.headers["ETag"]
    assert first.headers["Last-Modified"]
    again = client.get("/static/css/site.css", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    icon = client.get("/static/img/favicon.svg")
    status, data = icon.status_code, icon.data
    icon.close()  # a file Flask sends from disk stays open until the response is closed
    assert status == 200 and b"<svg" in data


def test_a_path_outside_the_static_folder_or_a_missing_sheet_is_404(client: FlaskClient) -> None:
    assert client.get("/static/css/../../app.py.css").status_code == 404
    assert client.get("/static/css/none.css").status_code == 404
    assert client.get("/static/%2e%2e/config.css").status_code == 404


def _braces_in_comments(css: str) -> int:
    count, start = 0, css.find("/*")
    while start != -1:
        end = css.index("*/", start)
        count += css[start:end].count("{")
        start = css.find("/*", end)
    return count
