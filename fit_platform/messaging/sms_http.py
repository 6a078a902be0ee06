"""SMS over HTTP to a configurable provider with a small JSON interface.

The interface (documented in docs/messaging.md):

    POST {base_url}/messages            Authorization: Bearer <token>
         {"to": "+4791234567", "text": "...", "reference": "<outbox key>"}
      -> 2xx {"id": "<provider id>"}
    GET  {base_url}/messages?reference=<outbox key>
      -> 200 {"id": "<provider id>"} | 404 when no message has that reference

A Norwegian gateway with its own HTTP API is added as another class implementing
the `Channel` protocol; the status mapping below is the part worth keeping.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from fit_platform.messaging.channels import (
    OutgoingMessage,
    PermanentFailure,
    SendReceipt,
    TemporaryFailure,
    UnknownOutcome,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsHttpConfig:
    base_url: str
    token: str
    timeout_seconds: float = 10.0
    sender: str | None = None


class HttpSmsChannel:
    """Sends through the JSON provider interface. Thread-safe; reuses one connection pool."""

    name = "sms"
    can_lookup = True

    def __init__(self, config: SmsHttpConfig, client: httpx.Client | None = None) -> None:
        self._config = config
        self._client = client or httpx.Client(
            base_url=config.base_url.rstrip("/"),
            timeout=config.timeout_seconds,
            headers={"Authorization": f"Bearer {config.token}"},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpSmsChannel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, message: OutgoingMessage) -> SendReceipt:
        body: dict[str, str] = {
            "to": message.to,
            "text": message.text,
            "reference": message.reference,
        }
        if self._config.sender:
            body["from"] = self._config.sender
        try:
            response = self._client.post("/messages", json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            # No connection, so nothing reached the provider: safe to send again.
            raise TemporaryFailure(f"sms provider unreachable: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            # The request may have been taken before the answer was lost (a read timeout
            # after the provider accepted it): look it up before sending again.
            raise UnknownOutcome(f"sms provider gave no answer: {type(exc).__name__}") from exc
        _raise_for_status(response)
        return SendReceipt(provider_id=_provider_id(response))

    def lookup(self, reference: str) -> SendReceipt | None:
        response = self._request("GET", "/messages", params={"reference": reference})
        if response.status_code == 404:
            return None
        _raise_for_status(response)
        return SendReceipt(provider_id=_provider_id(response))

    def _request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            return self._client.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise TemporaryFailure("sms provider timed out") from exc
        except httpx.TransportError as exc:
            raise TemporaryFailure(f"sms provider unreachable: {type(exc).__name__}") from exc


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    if status >= 500 or status in (408, 429):
        raise TemporaryFailure(f"sms provider answered {status}")
    raise PermanentFailure(f"sms provider refused the message: {status}")


def _provider_id(response: httpx.Response) -> str:
    try:
        provider_id = response.json()["id"]
    except (ValueError, KeyError, TypeError) as exc:
        # The provider took the message but we cannot read its id: treat as sent,
        # keep the status line so the odd answer can be found.
        log.warning("sms provider answered %s without an id", response.status_code)
        return f"unknown-{response.status_code}-{type(exc).__name__}"
    return str(provider_id)
