"""A second scheduler started on the same host with the same settings, as docs/deploy.md says
is harmless: it met the first one's metrics port and died with a Python traceback ("Address
already in use"), no JSON line, nothing for an alert on `configuration_invalid` to see. It now
writes the one configuration line naming FIT_SCHEDULER_METRICS_PORT and exits 1; the first
goes on. The first one's metrics show every job's failure counter at 0 from the start: a
dashboard's alert on failures read "no data" on a healthy scheduler."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from tests.support.production_stack import free_port, production_stack


def _metrics(port: int, process_alive: bool) -> str | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.TransportError:
        assert process_alive
        return None


def test_a_second_scheduler_on_the_same_host_says_which_setting_and_the_first_goes_on(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fit.sqlite3'}"
    port = free_port()
    with production_stack(url, tmp_path, at=None, FIT_SCHEDULER_METRICS_PORT=str(port)) as stack:
        stack.run("migrate")
        first = stack.start("scheduler")
        deadline = time.monotonic() + 60
        text = None
        while text is None and time.monotonic() < deadline:
            text = _metrics(port, first.popen.poll() is None)
            time.sleep(0.1)
        assert text is not None, first.tail()
        assert 'fit_scheduler_job_failures_total{job="dispatch"} 0.0' in text
        assert 'fit_scheduler_job_failures_total{job="enqueue"} 0.0' in text

        second = stack.start("scheduler", name="second scheduler")
        assert second.popen.wait(timeout=60) == 1
        output = second.log.read_text()
        lines = [json.loads(line) for line in output.splitlines() if line.strip()]
        [error] = [line for line in lines if line["level"] == "ERROR"]
        assert error["event"] == "configuration_invalid"
        assert error["setting"] == "FIT_SCHEDULER_METRICS_PORT"
        assert f"{port} is already in use" in error["msg"] and "its own port" in error["msg"]
        assert "Traceback" not in output
        assert first.popen.poll() is None
        assert _metrics(port, True) is not None
