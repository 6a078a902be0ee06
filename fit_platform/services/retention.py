"""Retention: how long the records kept only to run the service are kept (docs/privacy.md).

`apply_retention` is the scheduler's clean-up step, run with the application's own role:
- link tokens (hashes) are deleted once their link has been expired or revoked for longer
  than the limit; until then an old link gets the friendly "expired" page, afterwards the
  "unknown link" page;
- outbox rows keep their state and times (delivery figures), but their provider reference and
  error text are blanked. The row never holds a message text or an address (the dispatcher
  renders both at send time); a provider's error text can quote the address, and the provider
  reference is the key to the text in the provider's own logs;
- one-time codes (hashes) are deleted;
- what a patient typed on the check-your-answers page and left unsent is deleted once the
  questionnaire has closed (services/finish_draft.py).

The access log is append-only in the database (`db/append_only.py`), also for the application.
Rows older than `FIT_RETENTION_ACCESS_LOG_YEARS` are removed by `purge_access_log`, which the
database owner runs (`fit-platform retention purge-access-log`): only the table owner may switch
the trigger off, so the application's role can never delete a row. Everything happens in one
transaction: the trigger is back on before anything is committed.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, or_, select, text, update
from sqlalchemy.exc import DBAPIError

from fit_platform.config import RetentionSettings
from fit_platform.db import Database
from fit_platform.db.append_only import trigger_statements
from fit_platform.db.models import AccessLog, InvitationToken, OneTimeCode, OutboxMessage
from fit_platform.domain.codes import OutboxState
from fit_platform.services.finish_draft import delete_closed_drafts

log = logging.getLogger(__name__)

# Rows in these states will not be sent again, so their details are no longer needed.
FINISHED_MESSAGES = (OutboxState.SENT, OutboxState.FAILED, OutboxState.CANCELLED)


@dataclass(frozen=True)
class RetentionResult:
    link_tokens_deleted: int
    outbox_rows_blanked: int
    one_time_codes_deleted: int
    # Access-log rows past their limit, waiting for the owner's purge (0 when none).
    access_log_rows_due: int
    finish_drafts_deleted: int = 0


def access_log_cutoff(now: dt.datetime, years: int) -> dt.datetime:
    """The same calendar day `years` ago (28 February for a 29 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def apply_retention(db: Database, now: dt.datetime, limits: RetentionSettings) -> RetentionResult:
    """Delete or blank what is past its limit, in one transaction (the scheduler's clean-up)."""
    with db.transaction(now=now) as session:
        token_cutoff = now - limits.link_tokens
        tokens = session.execute(
            delete(InvitationToken).where(
                or_(
                    InvitationToken.expires_at < token_cutoff,
                    InvitationToken.revoked_at < token_cutoff,
                )
            )
        )
        outbox_cutoff = now - limits.outbox_details
        blanked = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.state.in_(FINISHED_MESSAGES),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < outbox_cutoff,
                or_(OutboxMessage.provider_ref.is_not(None), OutboxMessage.last_error.is_not(None)),
            )
            .values(provider_ref=None, last_error=None)
        )
        codes = session.execute(
            delete(OneTimeCode).where(OneTimeCode.expires_at < now - limits.one_time_codes)
        )
        due = session.scalar(
            select(func.count())
            .select_from(AccessLog)
            .where(AccessLog.at < access_log_cutoff(now, limits.access_log_years))
        )
        drafts = delete_closed_drafts(session)
    result = RetentionResult(
        link_tokens_deleted=int(tokens.rowcount or 0),  # type: ignore[attr-defined]
        outbox_rows_blanked=int(blanked.rowcount or 0),  # type: ignore[attr-defined]
        one_time_codes_deleted=int(codes.rowcount or 0),  # type: ignore[attr-defined]
        access_log_rows_due=int(due or 0),
        finish_drafts_deleted=drafts,
    )
    log.info(
        "retention applied",
        extra={
            "link_tokens_deleted": result.link_tokens_deleted,
            "outbox_rows_blanked": result.outbox_rows_blanked,
            "one_time_codes_deleted": result.one_time_codes_deleted,
            "access_log_rows_due": result.access_log_rows_due,
            "finish_drafts_deleted": result.finish_drafts_deleted,
        },
    )
    if result.access_log_rows_due:
        log.warning(
            "access-log rows are past their retention limit; the database owner removes them "
            "with `fit-platform retention purge-access-log`",
            extra={"event": "access_log_purge_due", "rows": result.access_log_rows_due},
        )
    return result


class PurgeRefused(RuntimeError):
    """The database refused the purge (the role is not the table's owner); says what to do."""


POSTGRES_TRIGGER = "access_log_append_only"
SQLITE_DELETE_TRIGGER = "access_log_no_delete"


def purge_access_log(engine: Engine, now: dt.datetime, years: int) -> int:
    """Delete access-log rows older than `years`; returns how many. Run as the database owner.

    PostgreSQL: the trigger is disabled, the old rows deleted and the trigger enabled again in
    one transaction. ALTER TABLE holds an exclusive lock until the commit, so no other session
    ever sees the table without its trigger, and only the table's owner may run it: with the
    application's role the database refuses, and `PurgeRefused` says so.
    SQLite: the delete trigger is dropped and created again inside one explicit transaction.
    SQLite has no roles; whoever can write the file can do anything, so there the trigger only
    guards against code paths, and this command is the one way old rows are removed.
    """
    cutoff = access_log_cutoff(now, years)
    if engine.dialect.name == "postgresql":
        deleted = _purge_postgres(engine, cutoff)
    else:
        deleted = _purge_sqlite(engine, cutoff)
    log.info(
        "access log purged",
        extra={"rows": deleted, "older_than": cutoff.isoformat(), "years": years},
    )
    return deleted


def _purge_postgres(engine: Engine, cutoff: dt.datetime) -> int:
    try:
        with engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE access_log DISABLE TRIGGER {POSTGRES_TRIGGER}"))
            result = connection.execute(delete(AccessLog).where(AccessLog.at < cutoff))
            connection.execute(text(f"ALTER TABLE access_log ENABLE TRIGGER {POSTGRES_TRIGGER}"))
            return int(result.rowcount or 0)
    except DBAPIError as exc:
        if "must be owner" in str(exc.orig):
            raise PurgeRefused(
                "only the owner of the access_log table may purge it: run this command with "
                "the database owner's URL (FIT_DATABASE_OWNER_URL), not the application's role"
            ) from exc
        raise


def _purge_sqlite(engine: Engine, cutoff: dt.datetime) -> int:
    recreate = next(
        statement
        for statement in trigger_statements("sqlite", "access_log")
        if SQLITE_DELETE_TRIGGER in statement
    )
    # AUTOCOMMIT hands transaction control to us: the driver would otherwise commit on its
    # own before the DDL, and the table would be left without its trigger between statements.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            connection.exec_driver_sql(f"DROP TRIGGER {SQLITE_DELETE_TRIGGER}")
            result = connection.execute(delete(AccessLog).where(AccessLog.at < cutoff))
            connection.exec_driver_sql(recreate)
        except Exception:
            connection.exec_driver_sql("ROLLBACK")
            raise
        connection.exec_driver_sql("COMMIT")
        return int(result.rowcount or 0)
