"""The export page links the codebook, which the app serves to those who may export.

The page used to name it by its repository path (docs/export-codebook.md), which a service
developer cannot open. The link from the figures leads to the codebook's text and version;
a therapist, who may not export, is refused it.

The codebook is Markdown. A user test found the page showing it as source text (`#`, `**`,
pipe tables, backticks), with the file's notes for developers (code paths, which test fails)
and a relative link into the repository that is broken on the served page. The page now shows
it as HTML: headings under the page's own, tables with header cells, code for column names;
the notes for developers and the link are left out, and raw HTML in the file is escaped.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from fit_platform.domain.codes import Role
from fit_platform.services.export_files import CODEBOOK_VERSION
from tests.support.export_data import make_known_dataset
from tests.support.factories import PASSWORD, make_staff, make_unit
from tests.support.html import log_in

JUNE = "period=month&start=2026-06-01&end=2026-06-30"


def _developer_page(app: Flask, client: FlaskClient, query: str = "") -> str:
    developer = make_staff(app.extensions["fit_db"], (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    page = client.get(f"/export/codebook{query}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _main(html: str) -> str:
    match = re.search(r"<main\b.*?</main>", html, re.S)
    assert match is not None
    return match.group(0)


def test_the_service_developer_follows_the_codebook_link_and_a_therapist_is_refused(
    app: Flask, client: FlaskClient
) -> None:
    db = app.extensions["fit_db"]
    make_known_dataset(db)
    developer = make_staff(db, (Role.SERVICE_DEVELOPER, None))
    log_in(client, developer.username, PASSWORD)
    figures = client.get(f"/export/?lang=nb&{JUNE}").get_data(as_text=True)
    assert "docs/export-codebook.md" not in figures
    link = re.search(r'<a href="([^"]+)">Kodeboken: [^<]*</a>', figures)
    assert link is not None and link.group(1) == "/export/codebook"

    page = client.get(link.group(1))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"versjon {CODEBOOK_VERSION}" in html
    assert "<code>unit_<wbr>code</code>" in html  # a column the file explains

    therapist = make_staff(db, (Role.THERAPIST, make_unit(db).id))
    other = app.test_client()
    log_in(other, therapist.username, PASSWORD)
    assert other.get("/export/codebook").status_code == 403


def test_the_codebook_is_shown_as_html_with_tables_whose_cells_have_headers(
    app: Flask, client: FlaskClient
) -> None:
    main = _main(_developer_page(app, client, "?lang=en"))
    # One h1, the page's own; the file's sections follow as h2 and h3, in order.
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", main)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels
    assert re.search(r"<h2[^>]*>Columns</h2>", main)
    assert re.search(r"<h3[^>]*>Where and when</h3>", main)
    # The column lists are tables: column headers, each column's name a row header in code.
    tables = re.findall(r"<table\b.*?</table>", main, re.S)
    assert len(tables) >= 8
    for table in tables:
        assert '<th scope="col">' in table
        assert "<td" in table
    assert '<th scope="row"><code>unit_<wbr>code</code></th>' in main
    # Each table scrolls in its own box, which a keyboard can reach and a screen reader names.
    assert main.count('<div class="table-wrap" tabindex="0" role="region"') == len(tables)
    for label in re.findall(r'role="region" aria-labelledby="([^"]+)"', main):
        assert f'id="{label}"' in main
    # No Markdown source is left to read.
    text = re.sub(r"<[^>]+>", "", main)
    for source in ("**", "|---|", "| column |", "## ", "`"):
        assert source not in text, source
    assert "<pre" not in main


def test_the_page_leaves_out_the_notes_for_developers_and_the_repository_link(
    app: Flask, client: FlaskClient
) -> None:
    main = _main(_developer_page(app, client, "?lang=en"))
    assert "../../../" not in main
    assert "fit_platform/" not in main
    assert "tests/" not in main
    assert "&lt;!--" not in main
    # Where the hiding rules are explained is named in the page's own words, as text.
    assert "docs/export.md" in main
    assert 'href="docs/export.md"' not in main
    # The Changes stay: a reader learns what changed in which version.
    assert re.search(r"<h2[^>]*>Changes</h2>", main)
    assert f"<strong>{CODEBOOK_VERSION}</strong>" in main


def test_raw_html_in_the_file_is_escaped_and_links_into_the_repository_are_text(
    app: Flask, client: FlaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "codebook.md"
    source.write_text(
        "# Export codebook\n"
        "<!-- for developers: not shown at /export/codebook -->\n\n"
        "Kept in `fit_platform/secret_place.py`.\n\n"
        "<!-- end for developers -->\n"
        "## Files\n\n"
        '<script>alert("x")</script>\n\n'
        'A <b onclick="x()">bold</b> claim, [the rules](../../../docs/export.md),\n'
        "[the figures](/export/) and [a standard](https://example.org/standard).\n\n"
        "| column | meaning |\n|:---|---:|\n| `a` | <img src=x onerror=alert(1)> |\n",
        encoding="utf-8",
    )
    monkeypatch.setattr("fit_platform.web.export.codebook.CODEBOOK", source)
    main = _main(_developer_page(app, client, "?lang=en"))
    assert "<script>alert" not in main and "&lt;script&gt;alert" in main
    assert "<b onclick" not in main and "&lt;b onclick" in main
    assert "<img" not in main and "&lt;img src=x" in main
    assert "secret_place" not in main and "for developers" not in main
    # A relative link would be broken on the served page: its words stay, as text.
    assert "the rules" in main and "../../../" not in main
    assert '<a href="/export/">the figures</a>' in main
    assert '<a href="https://example.org/standard">a standard</a>' in main
    # Column alignment would be an inline style, which the content security policy refuses.
    assert "style=" not in main


def test_several_column_names_in_one_row_header_stand_one_to_a_line(
    app: Flask, client: FlaskClient
) -> None:
    """The outcome rows name one column per questionnaire ("core10_…, gad7_…, phq9_…"). Run
    together, a desktop screen broke the third name mid-word beside the second; each name now
    starts a line, and breaks (at an underscore) only where the screen is too narrow for it."""
    main = _main(_developer_page(app, client, "?lang=en"))
    row = re.search(
        r'<th scope="row">(<code>core10_<wbr>mean_<wbr>first_<wbr>score.*?)</th>', main, re.S
    )
    assert row is not None
    names = re.split(r",<br\s*/?>\s*", row.group(1))
    assert [re.sub(r"<[^>]+>", "", name) for name in names] == [
        "core10_mean_first_score",
        "gad7_mean_first_score",
        "phq9_mean_first_score",
    ]
    # A comma inside a meaning is left as it was.
    assert "<br" not in "".join(re.findall(r"<td>.*?</td>", main, re.S))
