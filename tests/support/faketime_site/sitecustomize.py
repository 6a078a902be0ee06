"""Loaded by the processes the tests start under libfaketime (this folder is put first on
their PYTHONPATH); never part of a deployment.

libfaketime 0.9.10 shifts the absolute deadline that Python's `time.sleep` hands to
`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)` by the wall-clock offset, even with
FAKETIME_DONT_FAKE_MONOTONIC=1: the deadline turns negative (EINVAL) or days away. A
relative `select` timeout is left alone, so sleeping goes through that instead.
"""

import os
import select
import time
from typing import SupportsIndex

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(length: float | SupportsIndex) -> None:
        # time.sleep takes anything with __index__ as well as a float.
        seconds = float(length)
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + seconds
        remaining = seconds
        while remaining > 0:
            select.select([], [], [], remaining)
            remaining = deadline - time.monotonic()

    time.sleep = _sleep
