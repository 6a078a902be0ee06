"""Every user-facing string is translated into bokmål and nynorsk, and nothing is fuzzy."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

from fit_platform import i18n_catalogs
from fit_platform.i18n import TRANSLATIONS_DIR


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> polib.POFile:
    pot = i18n_catalogs.extract(tmp_path_factory.mktemp("pot") / "messages.pot")
    return polib.pofile(str(pot))


def _catalog(language: str) -> polib.POFile:
    return polib.pofile(str(TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"))


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_every_string_in_the_code_is_translated(extracted: polib.POFile, language: str) -> None:
    catalog = {entry.msgid: entry for entry in _catalog(language) if not entry.obsolete}
    missing = [
        e.msgid for e in extracted if e.msgid not in catalog or not catalog[e.msgid].translated()
    ]
    assert missing == [], f"untranslated in {language}: {missing[:10]} (+{len(missing)})"


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_no_translation_is_fuzzy(language: str) -> None:
    fuzzy = [entry.msgid for entry in _catalog(language).fuzzy_entries()]
    assert fuzzy == []


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_placeholders_survive_translation(language: str) -> None:
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    for entry in _catalog(language):
        if entry.msgstr:
            assert set(placeholder.findall(entry.msgid)) == set(
                placeholder.findall(entry.msgstr)
            ), entry.msgid


@pytest.mark.parametrize("language", ["nb", "nn", "en"])
def test_catalogs_are_compiled(language: str) -> None:
    mo = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.mo"
    po = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    assert mo.exists(), "run `fit-platform i18n compile` (the README commands do)"
    assert Path(mo).stat().st_mtime >= Path(po).stat().st_mtime - 1, "compiled catalog is stale"


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_a_score_is_called_skår_everywhere(language: str) -> None:
    """One word for a score: a patient's progress page headed "Scorane dine" above a column
    "Skår" reads as two different things."""
    english_spelling = [
        entry.msgid
        for entry in _catalog(language)
        if not entry.obsolete and "scor" in re.sub(r"%\(\w+\)s", "", entry.msgstr).lower()
    ]
    assert english_spelling == []


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_progress_is_utvikling_and_a_therapist_is_a_behandler_everywhere(language: str) -> None:
    """One word each: the patient's logout page said "Fremgangen din" where every other page
    says "Utviklingen din", and the groups page "medlemmets egen terapeut" where the staff
    pages say "behandler"."""
    strays = [
        entry.msgid
        for entry in _catalog(language)
        if not entry.obsolete and re.search(r"terapeut|fremgang|framgang", entry.msgstr, re.I)
    ]
    assert strays == []


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_someone_at_your_clinic_is_one_phrase_everywhere(language: str) -> None:
    """ "Noen ved klinikken din": a patient's thank-you page with no active therapist said
    "Noen på klinikken din ser det" a few lines above "Noen ved klinikken din leser dette"."""
    strays = [
        entry.msgid
        for entry in _catalog(language)
        if not entry.obsolete and re.search(r"\b(noen|nokon) på klinikken din", entry.msgstr, re.I)
    ]
    assert strays == []
