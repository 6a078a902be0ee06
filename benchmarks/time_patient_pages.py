"""CPU per request of the patient pages in one process, with no server and no test client.

Run from the project root: ``python benchmarks/time_patient_pages.py [--requests N] [--rounds R]``.

The same three requests as ``bench_patient_pages.py`` (the landing page of a different link
each time, the first answer page with a patient's cookie, the save of that page) and a bare
Flask "hello", each called through the application's WSGI entry point with a prepared
environ, timed with the process CPU clock; the best of R rounds is printed. Uses a throwaway
PostgreSQL (or FIT_TEST_DATABASE_URL, emptied) and the production settings of the benchmark
server. Without gunicorn, wrk and the other processes of a loaded machine in the figure, it
moves much less from run to run than the server's figures: the one to compare two versions
of the code by (run both alternately under the benchmark lock).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_patient_pages import (  # noqa: E402
    CSRF,
    hello_app,
    production_app_in_process,
    setup_invitations,
)

Environ = tuple[dict[str, Any], bytes]


def environ(method: str, path: str, cookie: str | None = None, body: bytes = b"") -> Environ:
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    if cookie:
        env["HTTP_COOKIE"] = cookie
    if body:
        env["CONTENT_TYPE"] = "application/x-www-form-urlencoded"
        env["CONTENT_LENGTH"] = str(len(body))
    return env, body


def call(app: Callable[..., Iterable[bytes]], request: Environ) -> tuple[str, list[Any], bytes]:
    env, body = request
    env = {**env, "wsgi.input": io.BytesIO(body)}
    started: dict[str, Any] = {}

    def start_response(status: str, headers: list[Any], _exc: Any = None) -> None:
        started.update(status=status, headers=headers)

    result = app(env, start_response)
    data = b"".join(result)
    close = getattr(result, "close", None)
    if close is not None:
        close()
    return started["status"], started["headers"], data


def started_patient(
    app: Callable[..., Iterable[bytes]], token: str
) -> tuple[str, Callable[[int], Environ]]:
    """Open the link `token`, press Start, and return the patient's cookie and a maker of the
    first page's save (request `i` answers every question with `i % 4`)."""
    _status, headers, page = call(app, environ("GET", f"/p/{token}"))
    cookie = next(v for k, v in headers if k == "Set-Cookie").split(";")[0]
    match = CSRF.search(page.decode())
    assert match, "no CSRF token on the landing page"
    csrf = match.group(1) or match.group(2)
    start = f"csrf_token={csrf}&action=start".encode()
    status, headers, _ = call(app, environ("POST", f"/p/{token}", cookie, start))
    assert status.startswith("302"), status
    cookie = next((v for k, v in headers if k == "Set-Cookie"), cookie).split(";")[0]

    def save(i: int) -> Environ:
        answers = "".join(f"&phq9_{n}={i % 4}" for n in range(1, 6))
        return environ("POST", "/p/answer/1", cookie, f"csrf_token={csrf}{answers}".encode())

    return cookie, save


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    from tests.support.postgres import throwaway_postgres

    with throwaway_postgres() as url:
        tokens = setup_invitations(url, 50)
        app = production_app_in_process(url)
        cookie, save = started_patient(app, tokens[0])

        pages: dict[str, tuple[Any, Callable[[int], Environ]]] = {
            "hello": (hello_app(), lambda _i: environ("GET", "/")),
            "landing": (app, lambda i: environ("GET", f"/p/{tokens[i % len(tokens)]}")),
            "answer page": (app, lambda _i: environ("GET", "/p/answer/1", cookie)),
            "page save": (app, save),
        }
        best: dict[str, float] = {}
        for _round in range(args.rounds):
            for name, (target, make) in pages.items():
                requests = [make(i) for i in range(args.requests)]
                for request in requests[:50]:
                    call(target, request)
                started = time.process_time()
                for request in requests:
                    status, _headers, _body = call(target, request)
                used = (time.process_time() - started) / args.requests * 1e6
                assert status[:3] in ("200", "302"), (name, status)
                best[name] = min(best.get(name, used), used)
    print(
        f"CPU µs per request in one process, best of {args.rounds} rounds of {args.requests}: "
        + ", ".join(f"{name} {us:.0f}" for name, us in best.items())
    )


if __name__ == "__main__":
    main()
