"""`fit-platform fhir`: the FHIR resources the web serves, as files, for an integration engine.

`questionnaire` prints an instrument's Questionnaire (all languages, or one); `episode` prints an
episode's Bundle as a named staff member may see it: the same access rule and the same
access-log row as the web download, so a command is no way around who may read what.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from fit_platform.process_settings import settings_or_exit, start_process


def _write(resource: dict[str, object], output: Path | None) -> None:
    text = json.dumps(resource, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


@click.group("fhir")
def fhir() -> None:
    """FHIR R4 resources: Questionnaires and an episode's Bundle."""


@fhir.command("questionnaire")
@click.argument("instrument_id")
@click.option(
    "--lang",
    type=click.Choice(["nb", "nn", "en"]),
    help="One language only (as Helsenorge's form tools take it). Default: all, as translations.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def questionnaire_command(instrument_id: str, lang: str | None, output: Path | None) -> None:
    """Print INSTRUMENT_ID's Questionnaire."""
    from fit_platform.domain.fhir import language_questionnaire, questionnaire
    from fit_platform.domain.instruments import default_instruments

    settings = settings_or_exit("fhir")
    instrument = default_instruments().get(instrument_id)
    if instrument is None:
        known = ", ".join(sorted(default_instruments()))
        raise click.ClickException(f"No instrument {instrument_id!r}. Installed: {known}.")
    base = settings.fhir_canonical_base
    if lang is None:
        _write(questionnaire(instrument, "nb", base=base), output)
    elif lang not in instrument.languages:
        raise click.ClickException(f"{instrument_id} has no text in {lang!r}.")
    else:
        _write(language_questionnaire(instrument, lang, base=base), output)


@fhir.command("episode")
@click.argument("episode_id", type=int)
@click.option(
    "--as",
    "username",
    required=True,
    help="The staff member (e-mail) whose access applies and who is logged as the reader.",
)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def episode_command(episode_id: int, username: str, output: Path | None) -> None:
    """Print EPISODE_ID's responses and scores as a FHIR Bundle."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from fit_platform.db import Database
    from fit_platform.db.models import Staff
    from fit_platform.domain.instruments import default_instruments
    from fit_platform.services.access_control import StaffViewer
    from fit_platform.services.fhir_export import FhirSettings, episode_bundle

    settings = start_process("fhir")
    db = Database(settings.database_url)
    try:
        with db.session() as session:
            staff = session.scalar(
                select(Staff)
                .where(Staff.username == username.strip().lower(), Staff.is_active.is_(True))
                .options(selectinload(Staff.roles))
            )
            viewer = (
                StaffViewer(staff.id, frozenset((r.role, r.unit_id) for r in staff.roles))
                if staff is not None
                else None
            )
        bundle = (
            episode_bundle(
                db,
                viewer,
                episode_id,
                instruments=default_instruments(),
                settings=FhirSettings(
                    settings.fhir_canonical_base, settings.fhir_patient_identifier_system
                ),
                now=dt.datetime.now(dt.UTC),
            )
            if viewer is not None
            else None
        )
    finally:
        db.dispose()
    if bundle is None:
        # One answer for "no such staff member", "no such episode" and "not yours".
        raise click.ClickException(f"No episode {episode_id} that {username} may see.")
    _write(bundle, output)
