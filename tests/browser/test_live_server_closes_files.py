"""The browser tests' server closes every file it serves, even when the browser resets the
connection first.

A browser drops a favicon or stylesheet request it no longer needs as soon as it navigates.
Werkzeug's development server then skips closing the response (see `body_read_and_closed`),
and the file handle's ResourceWarning surfaced, as an error, in whichever browser test was
running: a red CI run with nothing wrong in the page under test.
"""

from __future__ import annotations

import gc
import socket
import struct
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask, send_file

from tests.support.live_server import serve


def _app_serving(path: Path) -> Flask:
    app = Flask(__name__)

    @app.get("/file")
    def file() -> Any:
        return send_file(path, mimetype="image/svg+xml")

    return app


def _request_then_reset(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(b"GET /file HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        # More bytes keep the server in its drain loop after the response, where the reset
        # then arrives: the moment a browser abandons a request.
        for _ in range(20):
            try:
                client.sendall(b"x" * 1024)
            except OSError:
                break
            time.sleep(0.002)
        # Linger 0: close sends a reset, as a browser abandoning a request does.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_served_file_is_closed_when_the_client_resets_the_connection(tmp_path: Path) -> None:
    served = tmp_path / "icon.svg"
    served.write_bytes(b"<svg/>")
    unraisable: list[Any] = []
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        with serve(_app_serving(served)) as base:
            port = int(base.rsplit(":", 1)[1])
            for _ in range(20):
                _request_then_reset(port)
            time.sleep(1.0)  # the server's threads finish with the reset connections
        gc.collect()
    finally:
        sys.unraisablehook = previous_hook
    leaked = [str(item.exc_value) for item in unraisable if "unclosed file" in str(item.exc_value)]
    assert leaked == []
