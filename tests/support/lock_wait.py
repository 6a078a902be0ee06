"""Waiting, in a test, until another connection waits for a row lock (PostgreSQL).

The concurrency tests hold a row (or let a service hold it), start a second action in a thread
and must know it has reached the lock before they let the first go on: then the order of the
two is the one the test is about, not a matter of timing.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, text


def waits_for_a_lock(engine: Engine, thread: threading.Thread, within: float = 10) -> bool:
    """True once a session of this database waits for a lock; False when `thread` ends first
    (it did not wait) or after `within` seconds."""
    deadline = time.monotonic() + within
    while thread.is_alive() and time.monotonic() < deadline:
        # A connection of its own each time: a transaction sees pg_stat_activity as it was
        # when the transaction first looked.
        with engine.connect() as watcher:
            waiting = watcher.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND datname = current_database()"
                )
            ).scalar_one()
        if waiting:
            return True
        time.sleep(0.02)
    return False
