"""Clinical CLI commands: list and validate instrument files, score a response, run the
signal rules over a series of totals.

Plain click objects (no Flask app needed); the ``fit-platform`` console script registers them.
Errors are click usage errors with a clear message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path

import click

from fit_platform.domain.instruments import (
    Instrument,
    InstrumentDefinitionError,
    default_instruments,
    instrument_library,
    load_instrument_file,
    load_instruments,
)
from fit_platform.domain.scoring import InvalidAnswerError, score
from fit_platform.domain.signal_series import TotalOutOfRangeError, signals_over_series

EXTRA_DIRS = click.option(
    "--extra-dir",
    "extra_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A service's own instruments directory (repeatable); same id replaces a shipped file.",
)


def _library(extra_dirs: tuple[Path, ...]) -> Mapping[str, Instrument]:
    if not extra_dirs:
        return default_instruments()
    try:
        # On top of the service's own folder (`FIT_INSTRUMENTS_DIR`), as the service runs.
        return load_instruments(extra_dirs=(*instrument_library().extra_dirs, *extra_dirs))
    except InstrumentDefinitionError as exc:
        raise click.ClickException(f"invalid definition: {exc}") from None


@click.group("instruments")
def instruments() -> None:
    """Instrument definitions: list the library, validate a file."""


@instruments.command("list")
@EXTRA_DIRS
def list_instruments(extra_dirs: tuple[Path, ...]) -> None:
    """List the instruments with version, kind, wording status and language status."""
    for inst in _library(extra_dirs).values():
        langs = ",".join(f"{k}:{v.status.value}" for k, v in inst.languages.items())
        demo = " DEMO" if inst.demo else ""
        click.echo(
            f"{inst.id}\t{inst.version}\t{inst.kind.value}\t{inst.recommended_use.value}\t"
            f"{inst.content_status.value}\t{langs}{demo}"
        )


@instruments.command("validate")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Validate one instrument definition FILE (schema and domain checks)."""
    try:
        inst = load_instrument_file(file)
    except InstrumentDefinitionError as exc:
        raise click.ClickException(f"invalid definition: {exc}") from None
    click.echo(f"ok: {file.name} defines {inst.id} {inst.version}")


def _instrument(lib: Mapping[str, Instrument], instrument_id: str) -> Instrument:
    inst = lib.get(instrument_id)
    if inst is None:
        raise click.BadParameter(
            f"unknown instrument {instrument_id!r}; known: {', '.join(lib)}",
            param_hint="INSTRUMENT",
        )
    return inst


def _answerable(inst: Instrument) -> tuple[int, int]:
    """How many answers the command accepts: at least up to the last scored item, at most all."""
    last_scored = max(i for i, it in enumerate(inst.items) if it.link_id in inst.scored_link_ids)
    return last_scored + 1, len(inst.items)


@click.command("score")
@click.argument("instrument_id", metavar="INSTRUMENT")
@click.argument("answers", nargs=-1, metavar="ANSWER...")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@EXTRA_DIRS
def score_command(
    instrument_id: str, answers: tuple[str, ...], as_json: bool, extra_dirs: tuple[Path, ...]
) -> None:
    """Score one response: ANSWER values in item order, '-' for a missing answer."""
    inst = _instrument(_library(extra_dirs), instrument_id)
    lo, hi = _answerable(inst)
    if not lo <= len(answers) <= hi:
        want = str(lo) if lo == hi else f"{lo} to {hi}"
        raise click.UsageError(f"{inst.id} takes {want} answers, got {len(answers)}")
    values: dict[str, float | None] = {}
    for it, raw in zip(inst.items, answers, strict=False):
        if raw == "-":
            values[it.link_id] = None
            continue
        try:
            values[it.link_id] = float(raw)
        except ValueError:
            raise click.BadParameter(f"{raw!r} is not a number", param_hint=it.link_id) from None
    try:
        result = score(inst, values)
    except InvalidAnswerError as exc:
        it = inst.item(exc.link_id)
        allowed = (
            f"{it.min_value:g} to {it.max_value:g}"
            if it.vas
            else ", ".join(f"{o.value:g}" for o in it.options)
        )
        raise click.BadParameter(
            f"{values[exc.link_id]!r} is not allowed (allowed: {allowed})", param_hint=exc.link_id
        ) from None
    data = result.to_dict()
    if not inst.subscales:
        del data["subscales"]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
        return
    if result.scorable:
        click.echo(f"{inst.id}: total {data['total']} band {result.band or '-'}")
    else:
        click.echo(f"{inst.id}: not scorable ({data['reason']})")
    if result.risk:
        click.echo(f"RISK: {', '.join(result.risk_items)} ({result.risk_level.value})")


@click.command("signals")
@click.argument("instrument_id", metavar="INSTRUMENT")
@click.argument("totals", nargs=-1, required=True, metavar="TOTAL...")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@EXTRA_DIRS
def signals_command(
    instrument_id: str, totals: tuple[str, ...], as_json: bool, extra_dirs: tuple[Path, ...]
) -> None:
    """Run the signal rules on TOTAL scores, one per session, oldest first (1 = intake).

    Uses the instrument file's rules; risk rules need item answers, so they never fire here.
    """
    inst = _instrument(_library(extra_dirs), instrument_id)
    values = []
    for i, raw in enumerate(totals, start=1):
        try:
            value = float(raw)
        except ValueError:
            raise click.BadParameter(f"{raw!r} is not a number", param_hint=f"TOTAL {i}") from None
        if not math.isfinite(value):
            raise click.BadParameter(f"{raw!r} is not a number", param_hint=f"TOTAL {i}")
        values.append(value)
    try:
        series = signals_over_series(inst, values)
    except TotalOutOfRangeError as exc:
        raise click.BadParameter(
            f"{exc.total:g} is outside {inst.id}'s range {inst.score_min:g}-{inst.score_max:g}",
            param_hint=f"TOTAL {exc.index + 1}",
        ) from None
    if as_json:
        click.echo(json.dumps({"sessions": [s.to_dict() for s in series]}))
        return
    for s in series:
        codes = ", ".join(c.value for c in s.codes) or "-"
        click.echo(f"session {s.session}\ttotal {s.to_dict()['total']}\t{codes}")
