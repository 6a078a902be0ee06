"""How long a login must wait after failed attempts (throttling instead of a lockout).

A lockout lets anyone who knows a username keep its owner out; a delay that grows with the
failures slows a guesser to a few attempts a minute and costs the owner at most a short wait.
Failures are counted per account and per client address; each count starts again after a
quiet hour. The rule is written for people in `docs/security.md`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleRule:
    free_failures: int  # failures within the window before any delay
    first_delay: dt.timedelta  # the delay after the first failure past the free ones
    max_delay: dt.timedelta  # the delay doubles with each further failure up to this
    window: dt.timedelta = dt.timedelta(hours=1)  # a failure older than this restarts the count


# One account, from anywhere: at most about one guess a minute once the delay is at its cap.
ACCOUNT = ThrottleRule(5, dt.timedelta(seconds=2), dt.timedelta(seconds=60))
# One client address, over all accounts (spraying one password over many usernames). Higher
# free count: a clinic's staff may share one address behind its NAT.
ADDRESS = ThrottleRule(20, dt.timedelta(seconds=2), dt.timedelta(minutes=5))


def counts_again(last_failed_at: dt.datetime | None, now: dt.datetime, rule: ThrottleRule) -> bool:
    """True when the next failure starts a new count (none yet, or the last one is old)."""
    return last_failed_at is None or last_failed_at <= now - rule.window


def delay_after(failures: int, rule: ThrottleRule) -> dt.timedelta:
    """The wait after `failures` failures in a row within the window."""
    past_free = failures - rule.free_failures
    if past_free < 0:
        return dt.timedelta(0)
    # Cap the exponent first so a huge count cannot overflow the arithmetic.
    delay: dt.timedelta = rule.first_delay * int(2 ** min(past_free, 32))
    return min(delay, rule.max_delay)


def next_attempt_at(
    failures: int, last_failed_at: dt.datetime | None, now: dt.datetime, rule: ThrottleRule
) -> dt.datetime | None:
    """When the next attempt may be checked, or None when it may be checked now."""
    if last_failed_at is None or counts_again(last_failed_at, now, rule):
        return None
    allowed = last_failed_at + delay_after(failures, rule)
    return allowed if allowed > now else None
