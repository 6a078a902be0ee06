from __future__ import annotations

import datetime as dt

import pytest

from fit_platform.domain.login_throttle import ACCOUNT, ADDRESS, delay_after, next_attempt_at


@pytest.mark.parametrize("failures", [0, 4, 5, 6, 10, 10_000])
def test_the_delay_doubles_and_stops_at_its_cap(failures: int) -> None:
    delay = delay_after(failures, ACCOUNT)
    assert dt.timedelta(0) <= delay <= ACCOUNT.max_delay
    if failures >= ACCOUNT.free_failures + 1:
        assert delay == min(2 * delay_after(failures - 1, ACCOUNT), ACCOUNT.max_delay)


def test_an_address_gets_more_free_failures_than_an_account() -> None:
    assert delay_after(ACCOUNT.free_failures, ADDRESS) == dt.timedelta(0)


def test_no_wait_once_the_delay_has_passed_or_the_window_is_over() -> None:
    now = dt.datetime(2026, 12, 2, 8, 0, tzinfo=dt.UTC)
    last = now - dt.timedelta(seconds=3)
    assert next_attempt_at(6, last, now, ACCOUNT) == last + dt.timedelta(seconds=4)
    assert next_attempt_at(5, last, now, ACCOUNT) is None
    assert next_attempt_at(100, now - ACCOUNT.window, now, ACCOUNT) is None
