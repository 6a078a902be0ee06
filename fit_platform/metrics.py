"""Prometheus metrics (prometheus_client): what the web workers and the scheduler count.

Several gunicorn workers each count their own requests. With `PROMETHEUS_MULTIPROC_DIR`
set (to an empty directory writable by every worker, before the process starts) the
client keeps the values in files there, and a scrape of any worker adds all of them up;
gunicorn.conf.py cleans the directory at start and marks dead workers. Without it (one
process, tests) the values live in memory.

Labels are route groups and job names, never a path, a user or a patient.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from fit_platform.db import Database
from fit_platform.services.ops_figures import collect

__all__ = ["CONTENT_TYPE_LATEST", "exposition"]

REQUESTS = Counter(
    "fit_http_requests_total",
    "HTTP requests answered, by route group, method and status class",
    ["group", "method", "status"],
)
LATENCY = Histogram(
    "fit_http_request_duration_seconds",
    "Time to answer a request, by route group",
    ["group"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
JOB_RUNS = Counter("fit_scheduler_job_runs_total", "Scheduler job runs", ["job"])
JOB_FAILURES = Counter(
    "fit_scheduler_job_failures_total", "Scheduler job runs that raised an error", ["job"]
)

# Blueprint name -> route group. Anything else (unknown paths, static files) is "other".
ROUTE_GROUPS = {
    "patient": "patient",
    "clinician": "clinician",
    "episodes": "clinician",
    "export": "export",
    "admin": "admin",
    "auth": "auth",
    "public": "public",
    "ops": "public",
}


def route_group(blueprint: str | None) -> str:
    return ROUTE_GROUPS.get(blueprint or "", "other")


# Each request's two series, kept per process: `labels()` checks and joins its arguments
# under the metric's lock on every call, only to return the same child it returned before.
# Bounded, because the method is whatever the client sent; past the bound (a client making
# up methods) the series are looked up as before.
_REQUEST_SERIES_MAX = 256
_request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(group: str, method: str, status: int, seconds: float) -> None:
    key = (group, method, status // 100)
    series = _request_series.get(key)
    if series is None:
        series = (
            REQUESTS.labels(group=group, method=method, status=f"{status // 100}xx"),
            LATENCY.labels(group=group),
        )
        if len(_request_series) < _REQUEST_SERIES_MAX:
            _request_series[key] = series
    series[0].inc()
    series[1].observe(seconds)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (one aggregate query each)."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self.db = db
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        figures = collect(self.db, self.clock())
        yield GaugeMetricFamily(
            "fit_outbox_queued_messages",
            "Messages waiting to be sent",
            value=figures.outbox_queued.count,
        )
        yield GaugeMetricFamily(
            "fit_outbox_oldest_queued_age_seconds",
            "Age of the oldest message waiting to be sent (0 when none waits)",
            value=figures.outbox_queued.oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "fit_outbox_failed_messages",
            "Messages given up after the last retry (the therapist sees them)",
            value=figures.outbox_failed,
        )
        yield GaugeMetricFamily(
            "fit_invitations_due_unsent",
            "Invitations whose time has come that no message is queued for yet",
            value=figures.invitations_due_unsent.count,
        )
        yield GaugeMetricFamily(
            "fit_invitations_oldest_due_unsent_age_seconds",
            "How long the oldest due invitation has waited to be sent",
            value=figures.invitations_due_unsent.oldest_age_seconds,
        )
        yield GaugeMetricFamily(
            "fit_invitations_sent_last_24h",
            "Invitations sent in the last 24 hours",
            value=figures.invitations_sent_last_24h,
        )
        count = GaugeMetricFamily(
            "fit_signals_open", "Clinical signals not yet resolved", labels=["severity"]
        )
        age = GaugeMetricFamily(
            "fit_signals_oldest_open_age_seconds",
            "Age of the oldest unresolved signal",
            labels=["severity"],
        )
        for severity in ("high", "medium", "low"):
            backlog = figures.open_signals.get(severity)
            count.add_metric([severity], backlog.count if backlog else 0)
            age.add_metric([severity], backlog.oldest_age_seconds if backlog else 0.0)
        yield count
        yield age


def exposition(db: Database, clock: Callable[[], dt.datetime]) -> bytes:
    """The text a scrape returns: this process's (or all workers') counters plus the gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        counters = CollectorRegistry()
        # prometheus_client leaves the collector's __init__ unannotated.
        multiprocess.MultiProcessCollector(counters)  # type: ignore[no-untyped-call]
    else:
        counters = REGISTRY
    gauges = CollectorRegistry(auto_describe=False)
    gauges.register(DatabaseCollector(db, clock))
    return generate_latest(counters) + generate_latest(gauges)
