"""A real OpenID Connect provider on loopback (node-oidc-provider, from npm via ./dev test)."""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".ci/node/node_modules"
CLIENT_ID = "fit-platform-test"
CLIENT_SECRET = "a-test-client-secret-that-is-long-enough-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[str]:
    """Start the provider for one client with `redirect_uri`; yields its issuer URL."""
    if not (NODE_MODULES / "oidc-provider").is_dir():
        raise AssertionError("oidc-provider is missing: run ./dev test once (it installs it)")
    port = _free_port()
    process = subprocess.Popen(
        [
            "node",
            str(ROOT / "tests/support/oidc_provider.mjs"),
            str(port),
            redirect_uri,
            CLIENT_ID,
            CLIENT_SECRET,
        ],
        env={**os.environ, "FIT_NODE_MODULES": str(NODE_MODULES)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # "ready <issuer>" once it listens
        assert line.startswith("ready "), f"the OIDC provider did not start: {line!r}"
        yield line.split()[1]
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def use_provider(app: Flask, issuer: str, *, local_passwords: bool = True) -> None:
    """Point a running app's settings at the provider (as FIT_OIDC_* would at start)."""
    app.config["FIT_SETTINGS"] = dataclasses.replace(
        app.config["FIT_SETTINGS"],
        oidc_issuer=issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_provider_name="Test ID",
        local_passwords=local_passwords,
    )
