"""The deployment shared by the fault tests (see tests/support/deployment.py), started once
for this folder and stopped after its last test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from fit_platform.db import Database
from tests.support.deployment import Deployment
from tests.support.postgres import private_postgres
from tests.support.production_stack import (
    free_port,
    production_stack,
    seed_clinic,
)
from tests.support.sms_endpoint import SMS_TOKEN


@pytest.fixture(scope="package")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    sms_port, smtp_port = free_port(), free_port()
    with (
        private_postgres() as postgres,
        production_stack(
            postgres.url,
            tmp_path_factory.mktemp("faults"),
            FIT_RATELIMIT_ENABLED="false",
            FIT_SMS_URL=f"http://127.0.0.1:{sms_port}",
            FIT_SMS_TOKEN=SMS_TOKEN,
            FIT_SMTP_HOST="127.0.0.1",
            FIT_MAIL_FROM="fit@smoke.example",
            FIT_SMTP_PORT=str(smtp_port),
            FIT_SMTP_STARTTLS="false",
            # The gateways-down test waits for a retry: the first one after 5 s, not 30 s.
            FIT_SEND_RETRY_SECONDS="5",
        ) as stack,
    ):
        stack.run("migrate")
        web = stack.start_web()
        db = Database(postgres.url)
        try:
            yield Deployment(
                stack, postgres, web, db, seed_clinic(postgres.url), sms_port, smtp_port
            )
        finally:
            db.dispose()


# The container test needs podman and a built image (see its docstring); without
# FIT_TEST_CONTAINER_IMAGE it is left out of the run, and the run's header says so.
collect_ignore = [] if os.environ.get("FIT_TEST_CONTAINER_IMAGE") else ["test_container_roles.py"]


def pytest_report_header() -> str:
    image = os.environ.get("FIT_TEST_CONTAINER_IMAGE")
    if image:
        return f"container roles: testing image {image}"
    return "container roles: not run (set FIT_TEST_CONTAINER_IMAGE to a built image)"
