"""Every page of every shipped questionnaire fits a 320 px phone, in bokmål, nynorsk and
English, with the browser's text at its normal size and at 200 % (WCAG 1.4.4, 1.4.10).

A sideways scroll on PHQ-9's first page in nb/nn at 320 px was once reported and not seen
again; long Norwegian words in a legend or an answer label are what would push a page wider.
So each page is opened as a patient opens it (a link bound to this browser, the page asked for
with ?lang=), and two things are measured: the document scrolls no wider than the window, and
no element reaches past its right edge (an element inside a box that scrolls or clips on its
own is that box's business, not the page's). The text size is the browser's own default font
size (Chromium's setting, set over DevTools), which is what a patient changes on a phone; the
site's sizes are in rem and em, so everything scales with it.

The pages: the landing page, the first page sent empty (the error summary), every page of
questions, the help page a risk answer leads to, and the check-your-answers page. One browser
page does it all: the pages are reached by address, not clicked through, except once per
questionnaire to answer it so that its last page (check your answers) can be seen.

Screenshots, test-artifacts/questionnaires-320/<instrument>-<lang>-<page>-<text>.png, are for a
person to look at: they are taken of each page view that does not fit (to see what went wrong),
and of every page view when FIT_TEST_SCREENSHOTS=all is set (to look at all of them after a
change). Taking all 192 was more than half of the test's time (38 of 72 s on 2 shared cores);
what is measured and asserted is the same either way. Each measure is one round trip to the
browser: the page as it is, then with the skip link focused, then blurred again.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page

from fit_platform.db import Database
from fit_platform.domain.instruments import INSTRUMENTS_DIR, Instrument, default_instruments
from fit_platform.services.link_context import page_plan
from tests.browser.conftest import ALL_SCREENSHOTS, ARTIFACTS
from tests.support.factories import make_world
from tests.support.patient import open_invitation

WIDTH = 320
HEIGHT = 640
LANGUAGES = ("nb", "nn", "en")
# Chromium's default font size in px: as shipped (16) and doubled (WCAG 1.4.4's 200 %).
TEXT_SIZES = {"text100": 16, "text200": 32}
FOLDER = ARTIFACTS / "questionnaires-320"

# How wide the page is, and the elements that reach past the window's right edge (with a
# short name for each), as the page is and again with the skip link (the first thing a
# keyboard reaches) focused, which shows it where it is focused; then it is blurred. Elements
# inside a box that scrolls or clips on its own are skipped: that box is measured itself.
# Playwright evaluates in its own world: works with JS off, and focus() there focuses the
# page's own element (the DOM is shared), as Playwright's locator.focus() does.
MEASURE = """
() => {
  const measure = () => {
    const limit = document.documentElement.clientWidth;
    const clipped = (element) => {
      for (let up = element.parentElement; up && up !== document.body; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== 'visible') return true;
      }
      return false;
    };
    // The element, and its words when it has no elements inside (the word that did not fit).
    const name = (element) => element.tagName.toLowerCase()
      + (element.id ? '#' + element.id : '')
      + (element.classList.length ? '.' + [...element.classList].join('.') : '')
      + (element.childElementCount ? '' : ` "${element.textContent.trim().slice(0, 60)}"`);
    const wide = [];
    for (const element of document.body.querySelectorAll('*')) {
      const box = element.getBoundingClientRect();
      // Not drawn, or parked left of the page until focused (the skip link, measured focused).
      if (box.width === 0 || box.height === 0 || box.right <= 0) continue;
      if ((box.right > limit + 0.5 || box.width > limit + 0.5) && !clipped(element)) {
        wide.push(`${name(element)} ${Math.round(box.left)}–${Math.round(box.right)} px`);
      }
    }
    return {
      scrollHeight: document.documentElement.scrollHeight,
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: limit,
      fontSize: getComputedStyle(document.body).fontSize,
      wide: wide.slice(0, 8),
    };
  };
  const plain = measure();
  const skip = document.querySelector('.skip-link');
  if (!skip) return {plain, focused: null};
  skip.focus();
  const focused = {
    ...measure(),
    isFocused: document.activeElement === skip,
    skipLeft: skip.getBoundingClientRect().left,
  };
  skip.blur();
  return {plain, focused};
}
"""


class Measure:
    """Looks at the page as it is now at each text size; collects what does not fit."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.cdp: CDPSession = page.context.new_cdp_session(page)
        self.problems: list[str] = []
        self.looked = 0
        self.screenshots = 0
        self.px = 0  # the text size last set (none yet)

    def text_size(self, px: int) -> None:
        self.cdp.send("Page.setFontSizes", {"fontSizes": {"standard": px, "fixed": px}})
        self.px = px

    def look(self, name: str) -> None:
        # The text size set last stays set across pages (checked below on every measure):
        # start with it, so that each page view needs one change of size, not three.
        sizes = sorted(TEXT_SIZES.items(), key=lambda size: size[1] != self.px)
        for label, px in sizes:
            if px != self.px:
                self.text_size(px)
            found: dict[str, Any] = self.page.evaluate(MEASURE)
            plain, focused = found["plain"], found["focused"]
            # The text size really is the one asked for (the setting took effect).
            assert plain["fontSize"] == f"{px}px", (name, label, plain["fontSize"])
            before = len(self.problems)
            self._problems(f"{name} ({label})", plain)
            if focused is not None:
                # The skip link really was focused, and shown (not parked left of the page).
                assert focused["isFocused"] and focused["skipLeft"] >= 0, (name, label, focused)
                self._problems(f"{name} ({label}, skip link focused)", focused)
            if ALL_SCREENSHOTS or len(self.problems) > before:
                self._screenshot(str(FOLDER / f"{name}-{label}.png"), px, plain["scrollHeight"])
            self.looked += 1

    def _screenshot(self, path: str, px: int, height: int) -> None:
        if px == TEXT_SIZES["text100"]:
            self.page.screenshot(path=path, full_page=True)
        else:
            # Playwright's full-page screenshot puts the browser's own text size back (it
            # re-applies its settings): the window is made as tall as the page instead.
            self.page.set_viewport_size({"width": WIDTH, "height": height})
            self.page.screenshot(path=path)
            self.page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
        # Whatever the screenshot did to the text size, the next look sets it again.
        self.px = 0
        self.screenshots += 1

    def _problems(self, name: str, found: dict[str, Any]) -> None:
        if found["scrollWidth"] > found["clientWidth"] or found["wide"]:
            self.problems.append(
                f"{name}: {found['scrollWidth']} px in a {found['clientWidth']} px window;"
                f" past the edge: {', '.join(found['wide']) or 'none'}"
            )


@pytest.fixture
def measure(page: Page) -> Iterator[Measure]:
    FOLDER.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    yield Measure(page)


def shipped_instruments() -> list[Instrument]:
    """Every questionnaire file shipped with the platform, drafts and the demo one too: a
    service can switch a draft on, and its pages must fit before then."""
    ids = sorted(path.stem for path in INSTRUMENTS_DIR.glob("*.json"))
    assert ids, INSTRUMENTS_DIR
    return [default_instruments()[instrument_id] for instrument_id in ids]


def _get(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)


def _answer_every_page(page: Page) -> None:
    """Answer with each question's first choice (never a risk answer) up to the check page."""
    while "/p/answer/" in page.url:
        for group in page.locator("fieldset.item").all():
            slider = group.locator("input:not([type=radio]):not([type=hidden])")
            if slider.count():
                slider.first.fill("5")
            else:
                group.locator("label").first.click()
        page.locator("main form button[type=submit]").first.click()
    assert "/p/finish" in page.url, page.url


def test_every_questionnaire_page_fits_320_px_in_every_language_and_at_200_percent_text(
    page: Page, live_url: str, browser_db: Database, measure: Measure
) -> None:
    started = time.monotonic()
    world = make_world(browser_db)
    for instrument in shipped_instruments():
        pages = len(page_plan(instrument))
        _invitation_id, token = open_invitation(browser_db, world, instrument.id)
        _get(page, f"{live_url}/p/{token}?lang=nb")
        page.locator("button[value=start]").click()  # binds the link to this browser
        # The first page sent with nothing ticked: the error summary names each question.
        for language in LANGUAGES:
            _get(page, f"{live_url}/p/answer/1?lang={language}")
            page.locator("main form button[type=submit]").first.click()
            assert page.locator("#error-summary").count() == 1, (instrument.id, language)
            measure.look(f"{instrument.id}-{language}-page1-errors")
        _get(page, f"{live_url}/p/answer/1?lang=nb")
        _answer_every_page(page)
        for language in LANGUAGES:
            name = f"{instrument.id}-{language}"
            _get(page, f"{live_url}/p/{token}?lang={language}")
            measure.look(f"{name}-landing")
            for number in range(1, pages + 1):
                _get(page, f"{live_url}/p/answer/{number}?lang={language}")
                assert page.locator("fieldset.item").count() > 0, (name, number)
                measure.look(f"{name}-page{number}")
            if instrument.risk_items:  # where a risk answer leads, before the next page
                _get(page, f"{live_url}/p/help?after=1&lang={language}")
                measure.look(f"{name}-help")
            _get(page, f"{live_url}/p/finish?lang={language}")
            measure.look(f"{name}-check")
    assert measure.problems == [], "\n".join(measure.problems)
    assert Path(FOLDER).is_dir() and measure.looked >= 2 * 3 * 4 * 3
    print(
        f"\n{measure.looked} page views measured in {time.monotonic() - started:.1f} s,"
        f" {measure.screenshots} screenshots"
    )
