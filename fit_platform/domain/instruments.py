"""The instrument library a process runs with: the shipped definitions plus the service's own
folder (``FIT_INSTRUMENTS_DIR``), loaded once.

The model a definition becomes is ``fit_platform/domain/instrument_model.py``; reading and
checking one file is ``fit_platform/domain/instrument_files.py``. Both are named here too,
so callers import every instrument name from this one module.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fit_platform.domain.instrument_files import (
    INSTRUMENTS_DIR,
    SCHEMA_PATH,
    load_instrument_file,
    parse_definition,
)
from fit_platform.domain.instrument_model import (
    AllianceDrop,
    AnswerOption,
    Band,
    ClinicalCutoff,
    ContentStatus,
    Direction,
    ExpectedRecoveryParams,
    Instrument,
    InstrumentDefinitionError,
    Item,
    ItemType,
    Kind,
    LanguageInfo,
    Licence,
    RecommendedUse,
    ReliableChange,
    RiskItem,
    Subscale,
    TranslationStatus,
    UnknownInstrumentError,
    VasSpec,
)

__all__ = [
    "INSTRUMENTS_DIR",
    "SCHEMA_PATH",
    "AllianceDrop",
    "AnswerOption",
    "Band",
    "ClinicalCutoff",
    "ContentStatus",
    "Direction",
    "ExpectedRecoveryParams",
    "Instrument",
    "InstrumentDefinitionError",
    "InstrumentLibrary",
    "Item",
    "ItemType",
    "Kind",
    "LanguageInfo",
    "Licence",
    "RecommendedUse",
    "ReliableChange",
    "RiskItem",
    "Subscale",
    "TranslationStatus",
    "UnknownInstrumentError",
    "VasSpec",
    "configure_extra_dirs",
    "default_instruments",
    "get_instrument",
    "instrument_library",
    "load_instrument_file",
    "load_instruments",
    "load_library",
    "parse_definition",
]


def load_instruments(
    directory: Path | str | None = None, extra_dirs: Sequence[Path | str] = ()
) -> dict[str, Instrument]:
    """Load every ``*.json`` in ``directory`` (default: the shipped library), then ``extra_dirs``.

    A file in a later directory with the same ``id`` replaces the earlier one: this is how a
    service drops in a licensed official translation (e.g. CORE-10 in bokmål) or adds an
    instrument it holds a licence for (ORS/SRS). Order of the result is by id.
    """
    found: dict[str, Instrument] = {}
    for d in (Path(directory) if directory else INSTRUMENTS_DIR, *map(Path, extra_dirs)):
        if not d.is_dir():
            raise InstrumentDefinitionError(str(d.name), "(directory)", "not a directory")
        for f in sorted(d.glob("*.json")):
            inst = load_instrument_file(f)
            found[inst.id] = inst
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class InstrumentLibrary:
    """What a process runs with: the shipped definitions plus the service's own folder.

    ``problems`` are the files of the service's folder that could not be loaded, each naming
    the file and the field; they are left out (the shipped library is loaded strictly, a bad
    shipped file is a bug the tests catch).
    """

    instruments: Mapping[str, Instrument]
    problems: tuple[InstrumentDefinitionError, ...]
    extra_dirs: tuple[str, ...]


_extra_dirs: tuple[Path, ...] = ()


def configure_extra_dirs(dirs: Sequence[Path | str]) -> InstrumentLibrary:
    """Set the service's own instruments folder(s) (``FIT_INSTRUMENTS_DIR``) for this process
    and load the library again. Called once at start by the app factory."""
    global _extra_dirs
    wanted = tuple(Path(d) for d in dirs)
    if wanted != _extra_dirs or wanted:
        # The shipped files never change in a running process; a service folder is read
        # again (the tests start many apps in one process with and without one).
        _extra_dirs = wanted
        instrument_library.cache_clear()
    return instrument_library()


def load_library(extra_dirs: Sequence[Path | str] = ()) -> InstrumentLibrary:
    """The shipped library, then every ``*.json`` of ``extra_dirs`` that is valid; a file with
    the same ``id`` as an earlier one replaces it. A bad file in an extra folder is reported in
    ``problems`` and skipped, so one mistaken file never stops the running service."""
    found = dict(load_instruments())
    problems: list[InstrumentDefinitionError] = []
    for directory in map(Path, extra_dirs):
        if not directory.is_dir():
            problems.append(
                InstrumentDefinitionError(str(directory), "(directory)", "not a directory")
            )
            continue
        for path in sorted(directory.glob("*.json")):
            try:
                instrument = load_instrument_file(path)
            except InstrumentDefinitionError as error:
                problems.append(error)
            except (OSError, UnicodeDecodeError) as error:
                problems.append(InstrumentDefinitionError(path.name, "(file)", str(error)))
            else:
                found[instrument.id] = instrument
    return InstrumentLibrary(
        instruments=dict(sorted(found.items())),
        problems=tuple(problems),
        extra_dirs=tuple(str(d) for d in extra_dirs),
    )


@cache
def instrument_library() -> InstrumentLibrary:
    """The library this process runs with, loaded once (see :func:`configure_extra_dirs`)."""
    return load_library(_extra_dirs)


def default_instruments() -> Mapping[str, Instrument]:
    """The instruments this process runs with: shipped plus the service's own folder."""
    return instrument_library().instruments


def get_instrument(
    instrument_id: str, registry: Mapping[str, Instrument] | None = None
) -> Instrument:
    """Look up an instrument by id in ``registry`` (default: the shipped library)."""
    reg = default_instruments() if registry is None else registry
    try:
        return reg[instrument_id]
    except KeyError:
        raise UnknownInstrumentError(instrument_id) from None
