"""Request ids, request metrics and the `/metrics` scrape endpoint (small hooks on the app)."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import re
import time
import uuid

from flask import Flask, Response, abort, request

from fit_platform import metrics
from fit_platform.config import Settings
from fit_platform.context_objects import this_g, this_request
from fit_platform.db.base import utcnow
from fit_platform.extensions import get_db
from fit_platform.logging_setup import request_id_var

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
# What we accept from a trusted proxy; anything else is replaced by our own id.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def install(app: Flask) -> None:
    settings: Settings = app.config["FIT_SETTINGS"]

    # These hooks run on every request: the objects themselves (fit_platform/context_objects.py).
    @app.before_request
    def start_request() -> None:
        this = this_g()
        offered = this_request().headers.get(REQUEST_ID_HEADER, "")
        if settings.trusted_proxies and _SAFE_ID.fullmatch(offered):
            request_id = offered
        else:
            request_id = uuid.uuid4().hex
        this.request_id = request_id
        this.request_id_token = request_id_var.set(request_id)
        this.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response: Response) -> Response:
        this = this_g()
        request_id = this.get("request_id")
        if request_id:
            response.headers[REQUEST_ID_HEADER] = request_id
        started = this.get("request_started")
        if started is not None:
            current = this_request()
            metrics.observe_request(
                metrics.route_group(current.blueprint),
                current.method,
                response.status_code,
                time.perf_counter() - started,
            )
        return response

    @app.teardown_request
    def forget_request_id(_exc: BaseException | None) -> None:
        token = this_g().pop("request_id_token", None)
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
