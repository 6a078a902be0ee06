"""Locust users for the load test: patients answering, therapists reading.

Started by benchmarks/load_test.py, which seeds the database and writes the plan this file
reads (FIT_LOAD_PLAN: a JSON file with one link per patient, the therapists' logins and
their episodes, and the questionnaire's pages). Every request that does not get the status
a browser would get counts as a failure.

- PatientUser (one per link): opens the link (GET landing), starts (POST), answers every
  page (POST each), finishes (POST) — once, then stops. Bounded by count.
- TherapistUser: logs in once, then reads the caseload and the pre-session views of their
  own patients while the patients answer. Bounded by time.

The run ends when the last patient is through (or at --run-time, whichever comes first).
"""

from __future__ import annotations

import json
import os
import random
import re

import gevent
from locust import HttpUser, between, task
from locust.exception import StopUser

with open(os.environ["FIT_LOAD_PLAN"]) as plan_file:
    PLAN = json.load(plan_file)
LINKS: list[str] = list(PLAN["links"])  # paths: /p/<token>
THERAPISTS: list[dict[str, object]] = list(PLAN["therapists"])
PAGES: list[list[str]] = PLAN["pages"]
RISK_ITEMS: dict[str, float] = PLAN["risk_items"]  # link id → threshold
FINISHED: list[str] = []  # patients through (or given up), to end the run after the last
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise ValueError("no CSRF token on the page")
    return match.group(1)


class PatientUser(HttpUser):
    fixed_count = len(LINKS)
    wait_time = between(0.2, 1.0)  # a person reading the page before tapping on

    def on_start(self) -> None:
        self.path = LINKS.pop()

    def _post(self, path: str, data: dict[str, str], name: str, expect: str) -> bool:
        with self.client.post(
            path, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location", "")
            if response.status_code == 302 and expect in location:
                response.success()
                return True
            response.failure(f"{response.status_code} to {location!r}")
            return False

    @task
    def answer_once(self) -> None:
        try:
            self._answer()
        finally:
            FINISHED.append(self.path)
            if len(FINISHED) == PatientUser.fixed_count and self.environment.runner:
                # Later, from outside this user's own greenlet, which quit() kills.
                gevent.spawn_later(0.5, self.environment.runner.quit)
        raise StopUser()

    def _answer(self) -> None:
        with self.client.get(self.path, name="/p/[token]", catch_response=True) as landing:
            if landing.status_code != 200 or "csrf_token" not in landing.text:
                landing.failure(f"landing {landing.status_code}")
                return
            token = _csrf(landing.text)
        if not self._post(
            self.path, {"csrf_token": token, "action": "start"}, "/p/[token] start", "/p/answer/1"
        ):
            return
        for number, link_ids in enumerate(PAGES, start=1):
            self.wait()
            expect = f"/p/answer/{number + 1}" if number < len(PAGES) else "/p/finish"
            answers = {link_id: random.choice("0123") for link_id in link_ids}
            # A risk answer (PHQ-9 item 9 above 0) shows the help page first, as it should.
            risk = any(
                float(answers[link_id]) >= threshold
                for link_id, threshold in RISK_ITEMS.items()
                if link_id in answers
            )
            if risk:
                expect = f"/p/help?after={number}"
            if not self._post(
                f"/p/answer/{number}", {"csrf_token": token, **answers}, "/p/answer/[n]", expect
            ):
                return
            if risk:
                self.wait()
                self.client.get(f"/p/help?after={number}", name="/p/help")
        self.wait()
        self._post("/p/finish", {"csrf_token": token}, "/p/finish", "/p/done")
        return


class TherapistUser(HttpUser):
    fixed_count = len(THERAPISTS)
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        me = THERAPISTS.pop()
        self.episodes = list(me["episodes"])  # type: ignore[call-overload]
        page = self.client.get("/staff/login?lang=en", name="/staff/login")
        with self.client.post(
            "/staff/login",
            data={
                "username": me["username"],
                "password": me["password"],
                "csrf_token": _csrf(page.text),
            },
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login {response.status_code}")
                raise StopUser()

    @task(1)
    def caseload(self) -> None:
        self.client.get("/clinician/?lang=en", name="/clinician/ (caseload)")

    @task(3)
    def presession(self) -> None:
        episode = random.choice(self.episodes)
        self.client.get(f"/clinician/episodes/{episode}?lang=en", name="/clinician/episodes/[id]")
