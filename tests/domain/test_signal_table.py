"""The sensitivity table in docs/signals.md says what the signal rules really do."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from fit_platform.cli_clinical import signals_command
from fit_platform.domain.signals import SignalCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "signals.md"
START, END = "<!-- sensitivity-table:start -->", "<!-- sensitivity-table:end -->"


def _sessions(cell: str) -> list[int]:
    """'6–10, 12' -> [6, 7, 8, 9, 10, 12]; '—' -> []."""
    if cell == "—":
        return []
    out: list[int] = []
    for part in cell.split(","):
        lo, _, hi = part.strip().partition("–")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _table() -> tuple[list[SignalCode], list[tuple[str, str, list[str], list[list[int]]]]]:
    text = DOC.read_text(encoding="utf-8")
    lines = text[text.index(START) + len(START) : text.index(END)].strip().splitlines()
    cells = [[c.strip() for c in line.strip().strip("|").split("|")] for line in lines]
    header, rows = cells[0], cells[2:]
    codes = [SignalCode(c.strip("`")) for c in header[3:]]
    return codes, [(r[0], r[1], r[2].split(), [_sessions(c) for c in r[3:]]) for r in rows]


CODES, ROWS = _table()


def test_the_table_covers_the_trajectories_the_issue_asks_for() -> None:
    names = {name.lower() for name, *_ in ROWS}
    for wanted in ("flat", "improving", "slow improvement", "deteriorating", "slide", "low"):
        assert any(wanted in n for n in names), wanted
    assert set(CODES) >= {SignalCode.NOT_ON_TRACK, SignalCode.ALLIANCE_DROP}


@pytest.mark.parametrize(("name", "instrument", "totals", "expected"), ROWS)
def test_the_signals_command_fires_where_the_docs_table_says(
    name: str, instrument: str, totals: list[str], expected: list[list[int]]
) -> None:
    r = CliRunner().invoke(signals_command, [instrument, *totals, "--json"])
    assert r.exit_code == 0, r.output
    sessions = json.loads(r.output)["sessions"]
    for code, want in zip(CODES, expected, strict=True):
        fired = [s["session"] for s in sessions if code.value in s["signals"]]
        assert fired == want, f"{name} ({instrument}): {code.value}"
    others = {c for s in sessions for c in s["signals"]} - {c.value for c in CODES}
    assert not others, f"{name}: {others} fired but has no column in the table"
