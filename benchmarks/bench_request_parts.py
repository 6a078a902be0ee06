"""What the pieces every request goes through cost, in CPU microseconds, in-process.

Run from the project root: ``python benchmarks/bench_request_parts.py [--repeat N]``.

No database and no server: each piece is called N times inside a request context of the
real app (production settings, log level INFO) and timed with the process CPU clock, next to
the same-run baseline of a bare Flask "hello" request through the test client. Pieces: the
encrypted cookie session (open + save), the CSRF token, one Babel gettext, the choice of
locale, one JSON log line at INFO (written to /dev/null), the request metrics, the security
headers, and the rate limiter's check of one limit (memory storage).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask


def per_call_us(work: Callable[[], object], repeat: int) -> float:
    for _ in range(min(200, repeat)):
        work()
    started = time.process_time()
    for _ in range(repeat):
        work()
    return (time.process_time() - started) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5000)
    args = parser.parse_args()
    repeat = args.repeat

    from flask import session
    from flask_babel import gettext, refresh
    from flask_wtf.csrf import generate_csrf
    from limits import RateLimitItemPerMinute
    from limits.storage import MemoryStorage
    from limits.strategies import FixedWindowRateLimiter

    from fit_platform import i18n, metrics
    from fit_platform.app import create_app
    from fit_platform.security import add_security_headers

    app = create_app(
        overrides={
            "environment": "production",
            "database_url": "sqlite:///:memory:",
            "secret_key": "benchmark-secret-key-not-for-production",
            "totp_encryption_key": "pRmgMa8T0INjEAfksaq2aafzoZXEuwKI7wDe4c1F8AY=",
            "public_base_url": "http://127.0.0.1",
            "allow_insecure_http": True,  # loopback lab, no TLS proxy in front
            "log_level": "INFO",
        }
    )
    for handler in logging.getLogger().handlers:
        handler.setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]  # noqa: SIM115
    log = logging.getLogger("fit_platform.bench")

    hello = Flask("hello")
    hello.add_url_rule("/", "hello", lambda: "hello")
    hello_client = hello.test_client()
    results = {
        "baseline: Flask hello request (test client)": per_call_us(
            lambda: hello_client.get("/"), repeat // 5
        )
    }

    interface = app.session_interface
    limiter = FixedWindowRateLimiter(MemoryStorage())
    limit = RateLimitItemPerMinute(10**9)
    with app.test_request_context("/p/answer/1", headers={"Accept-Language": "nb,en;q=0.5"}):
        session["p_link"] = 1
        response = app.response_class("x")
        interface.save_session(app, session, response)
        cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]

        cookie_request = app.request_class({"HTTP_COOKIE": f"session={cookie}"})

        def session_round_trip() -> None:
            opened = interface.open_session(app, cookie_request)
            assert opened is not None and opened.get("p_link") == 1
            opened.modified = True
            interface.save_session(app, opened, app.response_class("x"))

        def csrf() -> None:
            from flask import g

            g.pop("csrf_token", None)
            generate_csrf()

        def babel_gettext() -> None:
            gettext("Save and go on")

        def locale() -> None:
            refresh()
            i18n.select_locale()

        results["encrypted cookie session, open + save"] = per_call_us(session_round_trip, repeat)
        results["CSRF token (generate)"] = per_call_us(csrf, repeat)
        results["Babel gettext, one string"] = per_call_us(babel_gettext, repeat)
        results["locale choice (select_locale)"] = per_call_us(locale, repeat)
        results["one JSON log line at INFO"] = per_call_us(
            lambda: log.info("answers saved", extra={"invitation_id": 1, "page": 1}), repeat
        )
        results["request metrics (counter + histogram)"] = per_call_us(
            lambda: metrics.observe_request("patient", "GET", 200, 0.004), repeat
        )
        results["security headers"] = per_call_us(
            lambda: add_security_headers(app.response_class("x")), repeat
        )
        results["rate limiter, one limit hit (memory)"] = per_call_us(
            lambda: limiter.hit(limit, "127.0.0.1", "patient"), repeat
        )
    base = results["baseline: Flask hello request (test client)"]
    print(f"CPU microseconds per call, {repeat} calls each, load average {os.getloadavg()[0]:.2f}")
    for name, micros in results.items():
        print(f"  {name:45} {micros:8.1f} us   {micros / base:6.2f} x hello")


if __name__ == "__main__":
    main()
