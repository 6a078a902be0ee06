"""The order in which pytest-xdist hands out test files, and which files go to one worker.

`./dev test` runs `--dist loadfile`: each file is one unit of work, and a worker takes the
next unit when it is done. Out of the box xdist sorts the units by how many tests they hold,
which put the files with one or two long tests (a deployment, a week of scheduling) last, and
a single worker then ran one of them alone while the other waited. Here the longest files go
first (longest processing time first), the rest keep pytest's collection order, and the fault
tests, which share one started deployment (tests/smoke/conftest.py), are one unit so the
deployment is started once and not once per worker.
"""

from __future__ import annotations

from typing import Any

import pytest
from xdist.scheduler import LoadFileScheduling

# Longest first, with seconds measured alone on 2 cores shared with other work on 3 December
# 2026 (the load average in brackets): a guide to the order, not a budget. Add a file here
# when it becomes one of the longest.
SLOW_FILES = (
    "tests/fuzz/test_every_route_as_every_role.py",  # 410 s (10)
    "tests/browser/test_every_page_at_three_widths.py",  # 107 s (7)
    "tests/smoke/test_fault_",  # the three fault tests and their one deployment: 70 s (4)
    "tests/foundation/test_demo_command.py",  # 60 s in the whole suite under xdist (2 to 8)
    "tests/smoke/test_load_ci.py",  # 50 s (4)
    "tests/browser/test_export_insight.py",  # 41 s in the whole suite under xdist (2 to 8)
    "tests/smoke/test_documented_deployment.py",  # 31 s (3)
    "tests/smoke/test_patient_pages_benchmark_runs.py",  # 57 s alone (1): two benchmarks, briefly
    # 57 s (5) on 4 December; later that day 41 -> 16 s alone at load 2 once it took
    # screenshots only of the page views that do not fit: moved down from fourth.
    "tests/browser/test_questionnaire_pages_at_320.py",
    # Measured in the whole suite under xdist at load 7 to 11 (other work ran), 3 December:
    "tests/foundation/test_cli_database_errors.py",  # 142 s: a process and migrations per case
    "tests/foundation/test_create_admin.py",  # 110 s: the same
    "tests/web/test_export_insight.py",  # 103 s
    "tests/smoke/test_gunicorn_control_socket.py",  # 80 s alone: three gunicorn starts
)
# Left out since 4 December: tests/messaging/test_delivery_postgres.py (61 s (9) before its
# week ticked only when something can change; 24 s alone at load 7 to 11 after).
FAULT_TESTS = "tests/smoke/test_fault_"


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the fault tests' group."""
    path = file_of(nodeid)
    return FAULT_TESTS if path.startswith(FAULT_TESTS) else path


def rank(nodeid: str) -> int:
    unit = unit_of(nodeid)
    for position, slow in enumerate(SLOW_FILES):
        if unit.startswith(slow):
            return position
    return len(SLOW_FILES)


def slow_files_first(items: list[pytest.Item]) -> None:
    """Reorder `items` in place: the slow files first, in SLOW_FILES order, the rest as
    collected (a stable sort keeps the order within each file)."""
    items.sort(key=lambda item: rank(item.nodeid))


class SlowFirstFileScheduling(LoadFileScheduling):  # type: ignore[misc]  # xdist has no types
    """`--dist loadfile` with the fault tests as one unit; the units in collection order
    (set by `slow_files_first`), not sorted by their number of tests."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        # Read by LoadScopeScheduling.schedule(): False keeps the collection order.
        config.option.loadscopereorder = False

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)
