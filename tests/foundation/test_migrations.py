"""The migrations and the models agree, and every revision upgrades and downgrades cleanly,
on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text

from fit_platform.db import Base, migrate
from fit_platform.db.session import make_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    # A separate database on the run's server, so the shared test schema is untouched.
    server_url = request.getfixturevalue("postgres_server_url")
    admin = make_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS fit_migrations"))
        connection.execute(text("CREATE DATABASE fit_migrations"))
    yield server_url.rsplit("/", 1)[0] + "/fit_migrations"
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS fit_migrations WITH (FORCE)"))
    admin.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_there_is_exactly_one_head() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_downgrade_upgrade_leaves_no_drift(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)
    assert _tables(empty_database_url) == set(Base.metadata.tables)
    migrate.check(empty_database_url)  # raises when models and migrations disagree
    migrate.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == set()
    migrate.upgrade(empty_database_url)
    migrate.check(empty_database_url)


def test_every_revision_has_a_downgrade() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    for revision in script.walk_revisions():
        source = Path(revision.path).read_text()
        body = source.split("def downgrade() -> None:", 1)[1]
        assert body.strip() != "pass", f"{revision.revision} has an empty downgrade"


def _triggers(url: str) -> dict[str, str]:
    """Each trigger's name and definition (with its function's body on PostgreSQL), so a
    revision that writes a trigger differently from the models fails, not only a missing one."""
    engine = make_engine(url)
    query = (
        "SELECT t.tgname, pg_get_triggerdef(t.oid) || ' ' || p.prosrc FROM pg_trigger t"
        " JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal"
        if engine.dialect.name == "postgresql"
        else "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
    )
    try:
        with engine.connect() as connection:
            return {name: " ".join(sql.split()) for name, sql in connection.execute(text(query))}
    finally:
        engine.dispose()


A_WALK_FOR_EVERY_PATIENT = (
    "INSERT INTO crisis_plan_version (patient_id, warning_signs, what_helps, who_to_call,"
    " staff_should, staff_should_not, recorded_by, created_at)"
    " SELECT id, '', 'A walk', '', '', '', 'patient', CURRENT_TIMESTAMP FROM patient"
)


def _refused(engine: Engine, *statements: str) -> bool:
    """Whether the database refuses the statements, run together in one transaction."""
    from sqlalchemy.exc import DatabaseError

    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    except DatabaseError:
        return True
    return False


def test_migrations_create_the_same_append_only_triggers_as_the_models(
    empty_database_url: str,
) -> None:
    migrate.upgrade(empty_database_url)
    migrated = _triggers(empty_database_url)
    migrate.downgrade(empty_database_url, "base")
    assert _triggers(empty_database_url) == {}
    engine = make_engine(empty_database_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    assert migrated == _triggers(empty_database_url)
    from fit_platform.db.append_only import APPEND_ONLY_TABLES

    assert {name.split("_no_")[0].split("_append_only")[0] for name in migrated} == {
        *APPEND_ONLY_TABLES
    }
    assert {"access_log", "consent_event", "export_audit"} <= set(APPEND_ONLY_TABLES)


def test_the_upgrade_seals_totp_secrets_kept_in_clear_and_the_downgrade_opens_them(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    from fit_platform.services.secret_box import SecretBox

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("FIT_TOTP_ENCRYPTION_KEY", key)
    migrate.upgrade(empty_database_url, "5c1a0c9e7d21")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO staff (username, display_name, password_hash, totp_secret,"
                    " preferred_language, is_active, failed_logins, created_at) VALUES"
                    " ('a@test.fit', 'A', 'x', 'JBSWY3DPEHPK3PXP', 'nb', true, 7,"
                    " CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(empty_database_url)
        with engine.connect() as connection:
            sealed = connection.scalar(text("SELECT totp_secret FROM staff"))
            assert connection.scalar(text("SELECT failed_logins FROM staff")) == 0
        assert sealed != "JBSWY3DPEHPK3PXP"
        assert SecretBox(key).open(sealed) == "JBSWY3DPEHPK3PXP"
        migrate.downgrade(empty_database_url, "5c1a0c9e7d21")
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT totp_secret FROM staff")) == "JBSWY3DPEHPK3PXP"
    finally:
        engine.dispose()


def test_existing_units_get_every_schedulable_instrument_enabled_and_never_a_draft(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIT_TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    migrate.upgrade(empty_database_url, "d7a3e1b5c9f2")
    engine = make_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO unit (code, name, kind, quiet_from, quiet_until, created_at)"
                    " VALUES ('nord', 'DPS Nord', 'outpatient', '21:00', '08:00',"
                    " CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(empty_database_url, "b6e2f4a8c0d1")
        with engine.connect() as connection:
            enabled = set(
                connection.scalars(text("SELECT instrument_id FROM unit_instrument")).all()
            )
        assert enabled == {"phq9", "gad7", "core10", "wai_sr"}
        migrate.downgrade(empty_database_url, "d7a3e1b5c9f2")
        assert "unit_instrument" not in _tables(empty_database_url)
    finally:
        engine.dispose()


def test_a_units_opening_hours_stay_its_bokmaal_text_up_and_down(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIT_TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    migrate.upgrade(empty_database_url, "c5e1a7f3b9d4")
    engine = make_engine(empty_database_url)
    hours = "SELECT opening_hours FROM unit WHERE code = 'nord'"
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO unit (code, name, kind, opening_hours, quiet_from, quiet_until,"
                    " created_at) VALUES ('nord', 'DPS Nord', 'outpatient',"
                    " 'man.–fre. 08–15', '21:00', '08:00', CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(empty_database_url, "d2f8b4a6c1e9")
        with engine.begin() as connection:
            row = connection.execute(
                text("SELECT opening_hours, opening_hours_nn, opening_hours_en FROM unit")
            ).one()
            assert tuple(row) == ("man.–fre. 08–15", None, None)
            connection.execute(text("UPDATE unit SET opening_hours_en = 'Mon–Fri 08–15'"))
        migrate.downgrade(empty_database_url, "c5e1a7f3b9d4")
        columns = {c["name"] for c in inspect(engine).get_columns("unit")}
        assert "opening_hours_en" not in columns and "opening_hours_nn" not in columns
        with engine.connect() as connection:
            assert connection.scalar(text(hours)) == "man.–fre. 08–15"
    finally:
        engine.dispose()


def test_a_crisis_plan_version_keeps_its_words_and_stays_append_only_up_and_down(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The column saying where a restored version came from: SQLite copies the table to add
    its foreign key, and the copy must keep the rows and the append-only triggers."""
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIT_TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    before = "f3c8a1e6d2b7"
    migrate.upgrade(empty_database_url, before)
    triggers = _triggers(empty_database_url)
    engine = make_engine(empty_database_url)

    def refused(statement: str) -> bool:
        return _refused(engine, statement)

    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO patient (display_name, preferred_language, preferred_channel,"
                    " consent_state, created_at) VALUES ('Kari', 'nb', 'sms', 'active',"
                    " CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(text(A_WALK_FOR_EVERY_PATIENT))
        migrate.upgrade(empty_database_url, "c2e7a9d4f1b6")  # the revision that copies it
        columns = {c["name"] for c in inspect(engine).get_columns("crisis_plan_version")}
        assert "restored_from_id" in columns
        assert _triggers(empty_database_url) == triggers
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT what_helps, restored_from_id FROM crisis_plan_version")
            ).one()
        assert tuple(row) == ("A walk", None)
        assert refused("UPDATE crisis_plan_version SET what_helps = 'changed'")
        assert refused("DELETE FROM crisis_plan_version")

        migrate.downgrade(empty_database_url, before)
        columns = {c["name"] for c in inspect(engine).get_columns("crisis_plan_version")}
        assert "restored_from_id" not in columns
        assert _triggers(empty_database_url) == triggers
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT what_helps FROM crisis_plan_version")) == "A walk"
        assert refused("UPDATE crisis_plan_version SET what_helps = 'changed'")
        assert refused("DELETE FROM crisis_plan_version")
    finally:
        engine.dispose()


def test_the_erasure_revision_lets_only_a_marked_patients_own_plan_go_up_and_down(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The revision before it refused every DELETE of the own plan; after it, a row goes only
    while its patient has an `erasure_in_progress` row; after the downgrade, none again."""
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIT_TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    before = "c2e7a9d4f1b6"
    migrate.upgrade(empty_database_url, before)
    engine = make_engine(empty_database_url)
    marked_delete = [
        "INSERT INTO erasure_in_progress (patient_id) SELECT min(id) FROM patient",
        "DELETE FROM crisis_plan_version WHERE patient_id = (SELECT min(id) FROM patient)",
        "DELETE FROM erasure_in_progress",
    ]

    def refused(*statements: str) -> bool:
        return _refused(engine, *statements)

    def versions() -> int:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM crisis_plan_version")) or 0)

    try:
        with engine.begin() as connection:
            for name in ("Kari", "Ola"):
                connection.execute(
                    text(
                        "INSERT INTO patient (display_name, preferred_language,"
                        " preferred_channel, consent_state, created_at) VALUES"
                        f" ('{name}', 'nb', 'sms', 'active', CURRENT_TIMESTAMP)"
                    )
                )
            connection.execute(text(A_WALK_FOR_EVERY_PATIENT))
        migrate.upgrade(empty_database_url)
        assert refused("DELETE FROM crisis_plan_version")
        assert not refused(*marked_delete)
        assert versions() == 1  # Kari's went, Ola's stayed
        assert refused("UPDATE crisis_plan_version SET what_helps = 'changed'")

        migrate.downgrade(empty_database_url, before)
        assert "erasure_in_progress" not in inspect(engine).get_table_names()
        assert refused("DELETE FROM crisis_plan_version")
        assert versions() == 1
    finally:
        engine.dispose()


def test_questionnaires_withdrawn_for_a_changed_appointment_give_their_slot_back_up_and_down(
    empty_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows withdrawn before the application marked their keys get the mark (so a session
    moved back to that time gets a questionnaire again); other rows keep their keys; the
    downgrade takes the mark off where no newer row holds the plain key."""
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIT_TOTP_ENCRYPTION_KEY", Fernet.generate_key().decode())
    before = "b7e2d4a9c6f1"
    migrate.upgrade(empty_database_url, before)
    engine = make_engine(empty_database_url)
    key = "appt:7@20261203T0800Z:before_appointment"
    rows = [
        # (instrument, slot key, state, reason)
        ("phq9", key, "cancelled", "appointment_changed"),
        ("gad7", key, "completed", None),
        ("wai_sr", "day:2026-12-03", "cancelled", "appointment_changed"),
        ("sai", key, "cancelled", "consent"),
    ]
    try:
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO unit (code, name, kind, created_at) VALUES"
                    " ('nord', 'DPS Nord', 'outpatient', CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO patient (display_name, preferred_language, preferred_channel,"
                    " consent_state, created_at) VALUES ('Kari', 'nb', 'sms', 'active',"
                    " CURRENT_TIMESTAMP)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO episode (patient_id, unit_id, status, started_on, created_at)"
                    " SELECT patient.id, unit.id, 'active', '2026-11-01', CURRENT_TIMESTAMP"
                    " FROM patient, unit"
                )
            )
            for instrument, slot, state, reason in rows:
                connection.execute(
                    text(
                        "INSERT INTO invitation (episode_id, instrument_id, slot_key, state,"
                        " due_at, expires_at, non_response_reason, created_at) SELECT id,"
                        " :instrument, :slot, :state, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,"
                        " :reason, CURRENT_TIMESTAMP FROM episode"
                    ),
                    {"instrument": instrument, "slot": slot, "state": state, "reason": reason},
                )

        def keys() -> dict[str, str]:
            with engine.connect() as connection:
                found = connection.execute(
                    text("SELECT instrument_id, slot_key, id FROM invitation")
                )
                return {instrument: slot for instrument, slot, _ in found}

        migrate.upgrade(empty_database_url)
        with engine.connect() as connection:
            phq9_id = connection.scalar(
                text("SELECT id FROM invitation WHERE instrument_id = 'phq9'")
            )
        assert keys() == {
            "phq9": f"{key}~{phq9_id}",
            "gad7": key,
            "wai_sr": "day:2026-12-03",
            "sai": key,
        }
        migrate.downgrade(empty_database_url, before)
        assert keys()["phq9"] == key
    finally:
        engine.dispose()
