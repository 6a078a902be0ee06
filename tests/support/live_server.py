"""Serve a Flask app on a free loopback port in a background thread (for the browser)."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import make_server


def body_read_and_closed(app: Any) -> Any:
    """The app, with each response's body read whole and its iterable closed before it is sent.

    Werkzeug's development server closes a response's iterable in a `finally` that first drains
    the socket; when the browser has already reset the connection (it drops a favicon or a
    stylesheet it no longer needs as soon as it navigates), that drain raises and the close is
    skipped. A static file's handle is then left for the garbage collector, whose
    ResourceWarning lands in whichever test is running (warnings are errors here). Reading the
    body here closes the file while nothing can interrupt it. Test pages are small, so holding
    one in memory costs nothing.
    """

    def wsgi(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = app(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()

    return wsgi


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, body_read_and_closed(app), threaded=True)
    # shutdown() waits for the serving loop's next look at its flag: every half second by
    # default, which was about 0.4 s of nothing at the end of each browser test.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
