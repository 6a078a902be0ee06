"""The pre-session chart with the service's own band: its legend fits and axe finds nothing,
on a phone and on a desk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from fit_platform.db import Database
from fit_platform.db.models import Episode
from fit_platform.domain.codes import EpisodeStatus, Role
from tests.support.factories import (
    PASSWORD,
    add_history,
    make_staff,
    make_unit,
    make_world,
)

LABEL = "Expected range (patients of this service; elsewhere not validated)"


def _with_service_bands(db: Database) -> tuple[int, str]:
    unit = make_unit(db)
    colleague = make_staff(db, (Role.THERAPIST, unit.id))
    for n in range(30):
        ended = make_world(db, unit=unit, therapist=colleague)
        add_history(db, ended, [15, 12, 6 + n % 3, 5, 5, 4])
        with db.transaction() as session:
            session.execute(
                update(Episode)
                .where(Episode.id == ended.episode_id)
                .values(status=EpisodeStatus.ENDED)
            )
    world = make_world(db)
    add_history(db, world, [16, 14, 16, 15])
    return world.episode_id, world.therapist_username


@pytest.mark.parametrize("width", [320, 1280])
def test_the_service_band_is_drawn_and_named_in_the_legend(
    page: Page,
    live_url: str,
    browser_db: Database,
    assert_accessible: Callable[[Page], None],
    save_screenshot: Callable[[Page, str], Path],
    width: int,
) -> None:
    episode_id, username = _with_service_bands(browser_db)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(live_url + "/staff/login?lang=en")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(live_url + f"/clinician/episodes/{episode_id}?lang=en")
    legend = page.locator("svg:has(#chart-phq9-title) text", has_text=LABEL)
    expect(legend).to_have_count(1)
    # The legend line ends inside the chart's drawing, not cut off at its right edge.
    chart_box = page.locator("svg:has(#chart-phq9-title)").bounding_box()
    legend_box = legend.bounding_box()
    assert chart_box is not None and legend_box is not None
    assert legend_box["x"] + legend_box["width"] <= chart_box["x"] + chart_box["width"] + 1
    assert_accessible(page)
    save_screenshot(page, f"service-band-chart-{width}")
