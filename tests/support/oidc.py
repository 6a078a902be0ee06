"""A real OpenID Connect provider on loopback (node-oidc-provider, from npm via ./dev test)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin

import requests
from flask import Flask
from playwright.sync_api import Page

from tests.support.production_stack import faketime_env

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / ".ci/node/node_modules"
CLIENT_ID = "fit-platform-test"
CLIENT_SECRET = "a-test-client-secret-that-is-long-enough-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _same_clock() -> dict[str, str]:
    """With FIT_TEST_WALL_CLOCK this process's clock is moved (time-machine); the provider runs
    at the same time under libfaketime, or every ID token would look expired or not yet
    issued, as it never would between two servers with synchronised clocks."""
    if not os.environ.get("FIT_TEST_WALL_CLOCK"):
        return {}
    return faketime_env(dt.datetime.now(dt.UTC))


@contextmanager
def oidc_provider(redirect_uri: str) -> Iterator[str]:
    """Start the provider for one client with `redirect_uri` (several: comma-separated);
    yields its issuer URL. A login name of 11 digits comes back as ID-porten's `pid` claim,
    and "NAME@LEVEL" sets the `acr` (tests/support/oidc_provider.mjs)."""
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
        env={**os.environ, "FIT_NODE_MODULES": str(NODE_MODULES), **_same_clock()},
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


def use_idporten(app: Flask, issuer: str, *, acr_values: str = "idporten-loa-substantial") -> None:
    """Point a running app's ID-porten settings at the provider (as FIT_IDPORTEN_* would)."""
    app.config["FIT_SETTINGS"] = dataclasses.replace(
        app.config["FIT_SETTINGS"],
        idporten_issuer=issuer,
        idporten_client_id=CLIENT_ID,
        idporten_client_secret=CLIENT_SECRET,
        idporten_acr_values=acr_values,
    )


_FORM_ACTION = re.compile(r'<form[^>]*action="([^"]+)"')
_PROMPT = re.compile(r'name="prompt" value="([a-z]+)"')


def log_in_at_provider(authorization_url: str, login: str) -> str:
    """Go through the provider's own login and consent pages over HTTP, as a browser would;
    returns the URL the provider sends the browser back to (our callback, code and state)."""
    browser = requests.Session()
    response = browser.get(authorization_url, allow_redirects=False, timeout=10)
    for _step in range(10):
        if response.is_redirect:
            url = urljoin(response.url, response.headers["Location"])
            if not url.startswith(authorization_url.split("/auth")[0]):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
            continue
        action, prompt = _FORM_ACTION.search(response.text), _PROMPT.search(response.text)
        assert action and prompt, f"unexpected provider page: {response.text[:300]!r}"
        form = {"prompt": prompt.group(1)}
        if prompt.group(1) == "login":
            form |= {"login": login, "password": "any password: the provider is the judge"}
        response = browser.post(
            urljoin(response.url, action.group(1)), data=form, allow_redirects=False, timeout=10
        )
    raise AssertionError("the provider never sent the browser back")


def log_in_at_provider_page(page: Page, login: str) -> None:
    """In the browser: the provider's own login and consent pages (its development
    interactions, which take any password)."""
    page.locator("input[name=login]").fill(login)
    page.locator("input[name=password]").fill("any password: the provider is the judge")
    page.locator("button[type=submit]").click()
    consent = page.locator("button[type=submit]", has_text="Continue")
    if consent.count():
        consent.click()
