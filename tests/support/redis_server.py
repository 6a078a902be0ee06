"""A throwaway Redis server on loopback for the tests, unless FIT_TEST_REDIS_URL names one.

The project's machines run Redis already, a user's fresh machine does not: the tests start
their own from Debian's `redis-server` (installed by `./dev test`) on a free port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def throwaway_redis() -> Iterator[str]:
    """Yield a redis:// URL with an empty database; stop the server afterwards."""
    configured = os.environ.get("FIT_TEST_REDIS_URL")
    if configured:
        redis.Redis.from_url(configured).flushdb()
        yield configured
        return
    binary = shutil.which("redis-server")
    assert binary, "install the Debian package `redis-server` (./dev test does)"
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="fit-test-redis.")
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
