"""Extract, update and compile the nb/nn/en message catalogs (wraps Babel's own frontend)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.frontend import CommandLineInterface

from fit_platform.i18n import SUPPORTED, TRANSLATIONS_DIR

ROOT = TRANSLATIONS_DIR.parent
POT_FILE = TRANSLATIONS_DIR / "messages.pot"


def _pybabel(*args: str) -> None:
    # Babel leaves its command-line frontend unannotated.
    CommandLineInterface().run(["pybabel", "-q", *args])  # type: ignore[no-untyped-call]


def extract(output: Path = POT_FILE) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    _pybabel(
        "extract",
        "-F",
        str(ROOT / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "-k",
        "_n:1,2",
        "-k",
        "lazy_ngettext:1,2",
        "-k",
        "_lp:1c,2",
        "-k",
        "lazy_pgettext:1c,2",
        "--no-location",
        "--sort-output",
        "--omit-header",
        "-o",
        str(output),
        str(ROOT / "fit_platform"),
    )
    return output


def update() -> None:
    """Merge new msgids into every catalog (creating missing ones); translators fill them in."""
    extract()
    for language in SUPPORTED:
        po_file = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
        command = "update" if po_file.exists() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []
        _pybabel(command, "-i", str(POT_FILE), "-d", str(TRANSLATIONS_DIR), "-l", language, *extra)


def compile_catalogs() -> None:
    _pybabel("compile", "-d", str(TRANSLATIONS_DIR))
