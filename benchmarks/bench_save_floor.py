"""The floor under the page save: what a save costs with nothing but its SQL, and with each
piece the real save needs added one at a time, next to a bare Flask "hello" and the real save,
all served and measured the same way in one run.

Run from the project root (wrk must be installed; ``./dev bench`` installs it), under the
benchmark lock:
``python benchmarks/bench_save_floor.py [--page save|answer] [--patients N] [--seconds S]``.

Like ``bench_patient_pages.py``: a throwaway PostgreSQL on loopback (or FIT_TEST_DATABASE_URL,
emptied), N PHQ-9 invitations opened once through the real app (landing GET, start POST) to
get each patient's browser session, gunicorn with 2 sync workers, wrk with 2 threads going
round the patients, the web workers' CPU per request read from ``/proc``. Every rung is its
own gunicorn serving a small Flask app (``floor_app``) that has the pieces of the rungs before
it plus its own; every request carries the same cookie and form body as the real save
(``POST /p/answer/1``, the five answers of the PHQ-9's first page, alternating so rows really
change). The rungs build up the save as the app makes it for such a page: one guarded
statement and no link read (``services/page_save_one_trip.py``, the thirty-fifth session):

 0. hello       a bare Flask "hello" (the goal's baseline; measured first and last, mean)
 1. sql         the save's one statement (the guard, the lock, the upsert of the five answers)
                on the app's own per-process psycopg connection; the link's row id and the
                patient's session generation come in the URL; no session, no CSRF, no form,
                no logging; answers with a redirect
 2. session     + the encrypted session cookie opened (the link, its generation and its
                questionnaire read from it, and where the page's language comes from)
 3. form        + the form body parsed (the answers taken from it)
 4. csrf        + Flask-WTF's CSRF check (app-wide, as in the app)
 5. rules       + the save's rules: the answer check and ``save_on_bound_link`` (the page
                plan, the risk-question check, the answers' values) in place of the bare
                statement (the same statement), the app log at WARNING so no line is written
 6. locale      + Flask-Babel with the app's locale selector, asked as the view asks
 7. savelog     + the app's JSON logging at INFO (the save's "answers saved" line)
 8. hooks       + the app's other request hooks: request id and metrics, the staff-session
                check, the ``?lang=`` switch
 9. headers     + the security headers and the patient pages' no-store / no-referrer
10. accesslog   + the project's ``gunicorn.conf.py`` (the JSON access line)
11. app         the real app (``wsgi:app``, as ``bench_patient_pages.py`` serves it)

``--page answer`` measures the answer page (``GET /p/answer/1``, each patient's own cookie) the
same way: rung 1 is its link read (``link_context.BY_TOKEN_ID``, the link's row id in the URL)
answered with the real page's bytes (fetched once from the real app, so the socket carries as
much as for the real page, but nothing is rendered); then the session (the link's id read
from it), the CSRF token the page's form carries, the locale the page is rendered in, the log
at INFO (the page writes no line), the hooks, the headers and the access line; then the real
app. The gap between the access line's rung and the app is what the page itself costs:
turning the link's row into its context, the form and the rendering.

Until the thirty-sixth session the rungs built up the locked save (BEGIN, the locking read,
the write, COMMIT) and the link read it started with; their figures are in
``benchmarks/HISTORY.md``. A rung whose statement finds no link it may save on answers 409,
so a floor that measured nothing shows as errors.

Prints each rung's requests/s, its share of the hello's rate, the worker CPU per request and
what the rung added to it. The rate limiter is off in every rung (as in the other benchmarks:
every request comes from one address).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_patient_pages import (  # noqa: E402
    LUA_COMMON,
    SECRET_KEY,
    _children,
    _lua_list,
    cpu_seconds,
    gunicorn,
    lua_answer_get,
    lua_answer_post,
    lua_plain,
    open_links,
    run_wrk,
    server_env,
    setup_invitations,
)

RUNGS = (
    "hello",
    "sql",
    "session",
    "form",
    "csrf",
    "rules",
    "locale",
    "savelog",
    "hooks",
    "headers",
    "accesslog",
    "app",
)
# The rungs the answer page (GET) does not have: it parses no form and saves nothing.
SAVE_ONLY = frozenset({"form", "rules"})
PAGE_ONE = tuple(f"phq9_{n}" for n in range(1, 6))


def floor_app() -> Any:
    """gunicorn entry point of rungs 1–10 (``FIT_FLOOR_RUNG`` says which): the save's
    ``POST /f/...`` and the answer page's ``GET /g/...``."""
    import logging

    from flask import Flask, Response, abort, redirect, request, session
    from flask_babel import get_locale
    from flask_wtf.csrf import generate_csrf

    from fit_platform import i18n
    from fit_platform.config import load_settings
    from fit_platform.db import Database
    from fit_platform.domain.codes import Language
    from fit_platform.domain.instruments import get_instrument
    from fit_platform.services.link_context import BY_TOKEN_ID
    from fit_platform.services.page_save_one_trip import (
        SAVE,
        BoundLink,
        save_on_bound_link,
        save_parameters,
    )
    from fit_platform.web.patient import forms
    from fit_platform.web.patient.blueprint import LINK_KEY, QUESTIONNAIRE_KEY

    rung = RUNGS.index(os.environ["FIT_FLOOR_RUNG"])

    def has(name: str) -> bool:
        return rung >= RUNGS.index(name)

    settings = load_settings()
    app = Flask("floor")
    app.config.update(
        FIT_SETTINGS=settings,
        SECRET_KEY=SECRET_KEY,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_SSL_STRICT=False,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT,
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES=str(i18n.TRANSLATIONS_DIR),
    )
    # The same engine settings as the app; the save runs on its per-process connection.
    db = Database(settings.database_url, ping="idle")
    reader = db.direct_reader()
    assert reader is not None, "the floor is measured on PostgreSQL"
    app.extensions["fit_db"] = db
    if has("session"):
        from fit_platform.web.cookie_session import EncryptedCookieSessionInterface

        app.session_interface = EncryptedCookieSessionInterface()
    if has("csrf"):
        from flask_wtf import CSRFProtect

        CSRFProtect(app)
    if has("locale"):
        from flask_babel import Babel

        babel = Babel()
        babel.init_app(app, locale_selector=i18n.select_locale)
        i18n.install_catalogue_cache(app, babel)
    if has("savelog"):
        from fit_platform.logging_setup import configure_logging

        configure_logging("INFO")
    else:
        logging.getLogger().setLevel(logging.WARNING)
    if has("hooks"):
        from fit_platform.web.auth.session import load_staff_session
        from fit_platform.web.ops.observability import install

        install(app)
        app.before_request(load_staff_session)

        @app.before_request
        def remember_explicit_language() -> None:
            chosen = request.args.get("lang")
            if chosen in i18n.SUPPORTED:
                session["lang"] = chosen

    if has("headers"):
        from fit_platform.security import configure_security

        configure_security(app)

        @app.after_request
        def never_cache_or_refer(response: Any) -> Any:
            response.headers["Cache-Control"] = "no-store"
            response.headers["Referrer-Policy"] = "no-referrer"
            return response

    phq9 = get_instrument("phq9")

    def bare_save(link: BoundLink, codes: dict[str, str | None], now: dt.datetime) -> bool:
        """Only the save's statement, with the answers' values as posted (no check)."""
        values = {k: float(v or 0) for k, v in codes.items()}
        return bool(reader.fetch_all(SAVE, save_parameters(link, values, Language.BOKMAAL, now)))

    @app.post("/f/<int:token_id>/<int:generation>/<int:value>")
    def save(token_id: int, generation: int, value: int) -> Any:
        now = dt.datetime.now(dt.UTC)
        instrument_id = "phq9"
        record_language: Language | None = None
        if has("session"):
            # As `web/patient/one_trip_save.py` reads it: [token row id, generation], the
            # questionnaire, and the record's language where the page's came from there.
            token_id, generation = session[LINK_KEY]
            instrument_id = session[QUESTIONNAIRE_KEY]
            if session.get(i18n.CHOSEN_LANGUAGE_KEY) not in i18n.SUPPORTED:
                record_language = Language(session[i18n.PATIENT_LANGUAGE_KEY])
        link = BoundLink(token_id, generation, instrument_id, record_language)
        if has("form"):
            posted = request.form
            codes: dict[str, str | None] = {k: posted.get(k) for k in PAGE_ONE}
        else:
            codes = dict.fromkeys(PAGE_ONE, str(value))
        if has("rules"):
            language = Language.BOKMAAL
            if has("locale"):  # as the view names the page's language
                language = forms.page_language(phq9)
            known = forms.all_known_answers(phq9, PAGE_ONE, request.form)
            assert known is not None
            saved = save_on_bound_link(reader, link, phq9, 1, known, language, now) is not None
        else:
            saved = bare_save(link, codes, now)
        if not saved:
            abort(409)
        return redirect("/p/answer/2")

    body_file = os.environ.get("FIT_FLOOR_BODY")
    page_body = Path(body_file).read_bytes() if body_file else b""

    @app.get("/g/<int:token_id>")
    def shown(token_id: int) -> Any:
        """The answer page's floor: its link read and the real page's bytes, rendered once."""
        if has("session"):
            token_id = session[LINK_KEY][0]
        if not reader.fetch_all(BY_TOKEN_ID, {"token_id": token_id}):
            abort(409)
        if has("csrf"):
            generate_csrf()  # the page's form carries a token
        if has("locale"):
            get_locale()  # the page is rendered in the request's language
        return Response(page_body, mimetype="text/html")

    return app


def lua_floor(sessions: list[tuple[str, str]], links: list[tuple[int, int]]) -> str:
    """The real save's request (cookie, body), to a path that also carries what the lowest
    rung takes from it (it has no session to find it in): the link's row id and the
    patient's session generation."""
    cookies = [c for c, _ in sessions]
    csrfs = [t for _, t in sessions]
    return (
        f"local cookies = {_lua_list(cookies)}\nlocal csrfs = {_lua_list(csrfs)}\n"
        f"local links = {{{','.join(str(t) for t, _ in links)}}}\n"
        f"local generations = {{{','.join(str(g) for _, g in links)}}}\n{LUA_COMMON}"
        "request = function()\n"
        "  local i, n = pick(cookies)\n"
        "  local v = math.floor(n / #cookies) % 4\n"
        '  local body = "csrf_token=" .. csrfs[i]\n'
        '  for item = 1, 5 do body = body .. "&phq9_" .. item .. "=" .. v end\n'
        '  local path = "/f/" .. links[i] .. "/" .. generations[i] .. "/" .. v\n'
        '  return wrk.format("POST", path, {["Cookie"] = cookies[i],\n'
        '    ["Content-Type"] = "application/x-www-form-urlencoded"}, body)\n'
        "end\n"
    )


def lua_floor_get(sessions: list[tuple[str, str]], links: list[tuple[int, int]]) -> str:
    """The real answer page's request (its cookie), to a path that also carries the link's
    row id for the lowest rung."""
    cookies = [c for c, _ in sessions]
    return (
        f"local cookies = {_lua_list(cookies)}\n"
        f"local links = {{{','.join(str(t) for t, _ in links)}}}\n{LUA_COMMON}"
        "request = function()\n"
        "  local i = pick(cookies)\n"
        '  return wrk.format("GET", "/g/" .. links[i], {["Cookie"] = cookies[i]})\n'
        "end\n"
    )


def _shown_page(url: str, cookie: str) -> bytes:
    """The real answer page's HTML, as the floor of the answer page sends it (the same bytes
    on the socket, none of the rendering)."""
    import httpx

    shown = httpx.get(url + "/p/answer/1", headers={"Cookie": cookie}, timeout=30)
    assert shown.status_code == 200, shown.status_code
    return shown.content


def bound_links(database_url: str, count: int) -> list[tuple[int, int]]:
    """(link row id, the patient's session generation) of each patient, in the order the
    links were made (the order of the sessions)."""
    from sqlalchemy import text

    from fit_platform.db import Database

    db = Database(database_url)
    with db.reading() as connection:
        rows = connection.execute(
            text(
                "SELECT invitation_token.id, patient.session_generation FROM invitation_token"
                " JOIN invitation ON invitation.id = invitation_token.invitation_id"
                " JOIN episode ON episode.id = invitation.episode_id"
                " JOIN patient ON patient.id = episode.patient_id"
                " ORDER BY invitation_token.id"
            )
        ).all()
    db.dispose()
    assert len(rows) == count, (len(rows), count)
    return [(int(t), int(g)) for t, g in rows]


def save_first_pages(url: str, sessions: list[tuple[str, str]]) -> None:
    """Each patient's first page saved once through the app, so every rung only changes
    answers (no rung races another request to insert a patient's first answers)."""
    import httpx

    body = dict.fromkeys(PAGE_ONE, "0")
    for cookie, csrf in sessions:
        saved = httpx.post(
            url + "/p/answer/1",
            data={"csrf_token": csrf, **body},
            headers={"Cookie": cookie},
            timeout=30,
        )
        assert saved.status_code == 302, saved.status_code


def postgres_pids(database_url: str) -> list[int]:
    """The PostgreSQL server's processes (postmaster and its children, the web workers'
    backends among them): their CPU is spent on the same two cores as the workers'."""
    from sqlalchemy import text

    from fit_platform.db import Database

    db = Database(database_url)
    with db.reading() as connection:
        data = connection.execute(text("SHOW data_directory")).scalar_one()
    db.dispose()  # before the children are listed: this backend has ended
    time.sleep(0.2)
    try:
        master = int((Path(data) / "postmaster.pid").read_text().split()[0])
    except OSError:  # a server of another user (FIT_TEST_DATABASE_URL): not counted
        return []
    return [master, *_children(master)]


def _cpu_each(pids: list[int]) -> dict[int, float]:
    """CPU seconds of each process still running (a server's short-lived helpers, such as
    an autovacuum worker, may have gone)."""
    out = {}
    for pid in pids:
        try:
            out[pid] = cpu_seconds([pid])
        except (OSError, IndexError):
            continue
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    # Seconds of load before each measured run; 0 for none, as in the smoke test that keeps
    # this script working (its figures say nothing).
    parser.add_argument("--warm-up", type=int, default=2)
    parser.add_argument(
        "--page",
        choices=("save", "answer"),
        default="save",
        help="the page save (POST /p/answer/1) or the answer page (GET /p/answer/1)",
    )
    parser.add_argument(
        "--rungs",
        help="which rungs to measure besides the hello, comma-separated (default: all the "
        "page has; the answer page has no form and no save rules)",
    )
    args = parser.parse_args()
    own = [r for r in RUNGS[1:] if args.page == "save" or r not in SAVE_ONLY]
    chosen = args.rungs.split(",") if args.rungs else own
    unknown = set(chosen) - set(own)
    if unknown:
        sys.exit(f"no such rung for the {args.page} page: {', '.join(sorted(unknown))}")
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: run `./dev bench` (or apt-get install wrk)")

    from tests.support.postgres import throwaway_postgres

    load_before = os.getloadavg()
    results: dict[str, dict[str, float]] = {}
    hello_runs: list[dict[str, float]] = []

    def serve_and_measure(entry: str, env: dict[str, str], config: str, script: str) -> Any:
        with gunicorn(entry, env, config) as (url, master):
            if args.warm_up:
                run_wrk(url, script, args.warm_up, args.connections)
            workers = _children(master)
            database = postgres_pids(database_url)  # after the warm-up: the backends are open
            db_before = _cpu_each(database)
            figures = run_wrk(url, script, args.seconds, args.connections, workers)
            db_after = _cpu_each(database)
            used = sum(db_after[pid] - db_before[pid] for pid in db_after if pid in db_before)
            figures["db_ms"] = used * 1000 / figures["requests"]
            return figures

    hello_entry = "benchmarks.bench_patient_pages:hello_app()"
    with throwaway_postgres() as database_url:
        tokens = setup_invitations(database_url, args.patients)
        env = server_env(database_url)
        with gunicorn("wsgi:app", env, "gunicorn.conf.py") as (url, _master):
            sessions = open_links(url, tokens)
            save_first_pages(url, sessions)
            shown_page = _shown_page(url, sessions[0][0])
        links = bound_links(database_url, args.patients)
        hello_runs.append(serve_and_measure(hello_entry, {}, "/dev/null", lua_plain()))
        if args.page == "save":
            floor_script, app_script = lua_floor(sessions, links), lua_answer_post(sessions)
        else:
            floor_script, app_script = lua_floor_get(sessions, links), lua_answer_get(sessions)
        with tempfile.NamedTemporaryFile(suffix=".html") as body:
            body.write(shown_page)
            body.flush()
            for rung in [r for r in RUNGS[1:-1] if r in chosen]:
                config = "gunicorn.conf.py" if rung == "accesslog" else "/dev/null"
                results[rung] = serve_and_measure(
                    "benchmarks.bench_save_floor:floor_app()",
                    {**env, "FIT_FLOOR_RUNG": rung, "FIT_FLOOR_BODY": body.name},
                    config,
                    floor_script,
                )
        if "app" in chosen:
            results["app"] = serve_and_measure("wsgi:app", env, "gunicorn.conf.py", app_script)
        hello_runs.append(serve_and_measure(hello_entry, {}, "/dev/null", lua_plain()))
    load_after = os.getloadavg()
    print(
        f"gunicorn 2 sync workers, PostgreSQL, loopback, wrk 2 threads {args.connections} "
        f"connections {args.seconds} s, {os.cpu_count()} CPUs, {args.patients} patients; "
        f"load average before {load_before[0]:.2f} {load_before[1]:.2f}, "
        f"after {load_after[0]:.2f} {load_after[1]:.2f}"
    )
    report(hello_runs, results)


def report(hello_runs: list[dict[str, float]], results: dict[str, dict[str, float]]) -> None:
    """The ladder as a table. "CPU-bound share" is the hello's worker CPU per request over the
    rung's worker and PostgreSQL CPU per request: the share of the hello's rate the rung
    could reach if the machine's cores were the only limit (wrk and the kernel left out)."""
    hello = {
        key: statistics.fmean(run.get(key, 0.0) for run in hello_runs)
        for key in ("rps", "p50", "bad", "cpu_ms", "db_ms", "requests")
    }
    print("hello runs first/last: " + " / ".join(f"{run['rps']:.0f} req/s" for run in hello_runs))
    print(
        f"{'':13} {'req/s':>7} {'of hello':>9} {'p50 ms':>7} {'non-2xx/3xx':>11}"
        f" {'worker CPU ms':>13} {'added':>6} {'PostgreSQL CPU ms':>17} {'CPU-bound share':>15}"
    )
    previous = hello["cpu_ms"]
    rows = [("hello", hello), *results.items()]
    for number, (name, f) in enumerate(rows):
        added = f["cpu_ms"] - previous if number else 0.0
        previous = f["cpu_ms"]
        spent = f["cpu_ms"] + f.get("db_ms", 0.0)
        print(
            f"{number:>2} {name:10} {f['rps']:7.0f} {f['rps'] / hello['rps']:9.1%} "
            f"{f.get('p50', 0):7.2f} {f['bad']:11.0f} {f['cpu_ms']:13.2f} {added:+6.2f}"
            f" {f.get('db_ms', 0.0):17.2f} {hello['cpu_ms'] / spent if spent else 0:15.1%}"
        )
    bad = sum(f["bad"] for f in results.values())
    if bad:
        sys.exit(f"{bad:.0f} requests were answered with an error: the figures are not valid")


if __name__ == "__main__":
    main()
