"""Request ids, request metrics and the `/metrics` scrape endpoint (small hooks on the app)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time
import uuid

from flask import Flask, Response, abort, g, request

from fit_platform import metrics
from fit_platform.config import Settings
from fit_platform.db.base import utcnow
from fit_platform.extensions import get_db
from fit_platform.logging_setup import request_id_var

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a trusted proxy; anything else is replaced by our own id.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def install(app: Flask) -> None:
    settings: Settings = app.config["FIT_SETTINGS"]

    @app.before_request
    def start_request() -> None:
        offered = request.headers.get(REQUEST_ID_HEADER, "")
        if settings.trusted_proxies and _SAFE_ID.fullmatch(offered):
            request_id = offered
        else:
            request_id = uuid.uuid4().hex
        g.request_id = request_id
        g.request_id_token = request_id_var.set(request_id)
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = g.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        if started is not None:
            metrics.observe_request(
                metrics.route_group(request.blueprint),
                request.method,
                response.status_code,
                time.perf_counter() - started,
            )
        return response

    @app.teardown_request
    def forget_request_id(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id_var.reset(token)

    @app.route("/metrics")
    def scrape() -> Response:
        if not settings.metrics_enabled:
            abort(404)
        if not _scrape_allowed(settings):
            log.warning("metrics scrape refused", extra={"event": "metrics_refused"})
            abort(403)
        body = metrics.exposition(get_db(), utcnow)
        return Response(body, mimetype=None, content_type=metrics.CONTENT_TYPE_LATEST)


def _scrape_allowed(settings: Settings) -> bool:
    if settings.metrics_token:
        offered = request.headers.get("Authorization", "")
        expected = f"Bearer {settings.metrics_token}"
        return hmac.compare_digest(offered.encode(), expected.encode())
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False
