"""One clock and one time zone: the domain and the services never read the machine's clock
and never name a zone of their own. The time comes in as `now` (the page clock, the
scheduler's clock, or a CLI command's one reading at its edge); the zone comes from settings
(`FIT_TIMEZONE`)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "fit_platform"

# Modules that must read the machine's clock, each with the reason. Nothing in the domain or
# the services has to: add an entry only with a reason a reviewer accepts.
ALLOWED: dict[str, str] = {}


def _clock_names(tree: ast.Module) -> tuple[set[str], set[str], set[str]]:
    """The names this module binds to the `datetime` module (and the usual `dt`), to the
    `datetime` and `date` classes, and to the `time` module."""
    datetime_modules: set[str] = {"dt"}
    classes: set[str] = set()
    time_modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "datetime":
                    datetime_modules.add(alias.asname or "datetime")
                elif alias.name == "time":
                    time_modules.add(alias.asname or "time")
        elif isinstance(node, ast.ImportFrom) and node.module == "datetime":
            classes.update(
                alias.asname or alias.name
                for alias in node.names
                if alias.name in ("datetime", "date")
            )
    return datetime_modules, classes, time_modules


def _machine_clock_reads(source: str) -> list[tuple[int, str]]:
    """(line, what) for every read of the machine's clock and every zone named by a literal."""
    tree = ast.parse(source)
    datetime_modules, classes, time_modules = _clock_names(tree)
    bare_clocks = {"utcnow"}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "time":
            bare_clocks.update(a.asname or a.name for a in node.names if a.name == "time")
    owners = classes | {f"{m}.{c}" for m in datetime_modules for c in ("datetime", "date")}
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Name) and node.id in bare_clocks:
            what = node.id  # a call, or handed on as a clock (`clock=utcnow`)
        elif isinstance(node, ast.Attribute) and node.attr in ("now", "utcnow", "today"):
            if ast.unparse(node.value) in owners:
                what = f"{ast.unparse(node.value)}.{node.attr}"
        elif isinstance(node, ast.Attribute) and node.attr in ("time", "time_ns"):
            if isinstance(node.value, ast.Name) and node.value.id in time_modules:
                what = f"{node.value.id}.{node.attr}"
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).split(".")[-1] == "ZoneInfo"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            what = f"ZoneInfo({node.args[0].value!r})"
        if what is not None:
            found.append((getattr(node, "lineno", 0), what))
    return sorted(found)


@pytest.mark.parametrize("layer", ["domain", "services"])
def test_the_domain_and_the_services_take_the_time_and_the_zone_from_their_callers(
    layer: str,
) -> None:
    # A service that falls back to the machine's clock answers a test (or a page with its
    # own clock) with a different "now" from the one it was given elsewhere; a module with
    # its own Europe/Oslo ignores FIT_TIMEZONE.
    offenders = sorted(
        found
        for path in (PACKAGE / layer).rglob("*.py")
        if str(path.relative_to(PACKAGE)) not in ALLOWED
        for line, what in _machine_clock_reads(path.read_text())
        for found in [f"{path.relative_to(PACKAGE)}:{line} {what}"]
    )
    assert offenders == []


def test_the_check_sees_each_way_of_reading_the_clock() -> None:
    # The rule above passes on an empty match too; this keeps the detector honest.
    sample = "\n".join(
        [
            "import datetime as dt",
            "import time",
            "from datetime import date, datetime",
            "from zoneinfo import ZoneInfo",
            "from fit_platform.db.base import utcnow",
            "a = dt.datetime.now(dt.UTC)",
            "b = datetime.now()",
            "c = date.today()",
            "d = dt.date.today()",
            "e = time.time()",
            "f = utcnow()",
            "g = ZoneInfo('Europe/Oslo')",
            "h = datetime.utcnow",
            "ok = dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(days=1)",
            "ok2 = time.monotonic()",
            "ok3 = dt.time(8, 0)",
            "ok4 = settings_zone.astimezone(ZoneInfo(name))",
        ]
    )
    assert [what for _line, what in _machine_clock_reads(sample)] == [
        "dt.datetime.now",
        "datetime.now",
        "date.today",
        "dt.date.today",
        "time.time",
        "utcnow",
        "ZoneInfo('Europe/Oslo')",
        "datetime.utcnow",
    ]
