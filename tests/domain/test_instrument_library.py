import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from fit_platform.domain.instruments import (
    INSTRUMENTS_DIR,
    ContentStatus,
    Instrument,
    InstrumentDefinitionError,
    ItemType,
    Kind,
    RecommendedUse,
    TranslationStatus,
    UnknownInstrumentError,
    get_instrument,
    load_instrument_file,
    load_instruments,
    parse_definition,
)


def _raw(instrument_id: str) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(
        (INSTRUMENTS_DIR / f"{instrument_id}.json").read_text(encoding="utf-8")
    )
    return raw


def test_the_library_ships_the_five_instruments_and_the_vas_demo(
    instruments: Mapping[str, Instrument],
) -> None:
    assert set(instruments) == {"phq9", "gad7", "core10", "wai_sr", "sai", "vas_demo"}


def test_every_definition_has_a_version_kind_use_licence_and_citation(
    instruments: Mapping[str, Instrument],
) -> None:
    for inst in instruments.values():
        assert inst.version.count(".") == 2
        assert inst.kind in Kind
        assert inst.recommended_use in RecommendedUse
        assert inst.licence.status and inst.licence.text
        assert inst.citation


def test_outcome_measures_are_taken_before_and_alliance_measures_after_the_session(
    instruments: Mapping[str, Instrument],
) -> None:
    for i in ("phq9", "gad7", "core10"):
        assert instruments[i].kind is Kind.OUTCOME
        assert instruments[i].recommended_use is RecommendedUse.BEFORE_SESSION
    for i in ("wai_sr", "sai"):
        assert instruments[i].kind is Kind.ALLIANCE
        assert instruments[i].recommended_use is RecommendedUse.AFTER_SESSION


def test_norwegian_texts_are_never_claimed_official(instruments: Mapping[str, Instrument]) -> None:
    for inst in instruments.values():
        for lang in ("nb", "nn"):
            if lang in inst.languages:
                assert inst.languages[lang].status is TranslationStatus.UNVALIDATED


def test_a_norwegian_text_has_a_norwegian_title(instruments: Mapping[str, Instrument]) -> None:
    """The title is the heading of the patient's page, marked with the page's language: an
    English title there is a gap in the translation (the WAI-SR's was, until version 1.0.2)."""
    for inst in instruments.values():
        for lang in ("nb", "nn"):
            if lang in inst.languages:
                assert inst.title[lang] != inst.title["en"], (inst.id, lang)


def test_core10_ships_in_english_only_because_its_licence_forbids_derivatives(
    instruments: Mapping[str, Instrument],
) -> None:
    core = instruments["core10"]
    assert set(core.languages) == {"en"}
    assert core.licence.status == "free_no_derivatives"
    assert all(set(it.text) == {"en"} for it in core.items)


def test_wai_sr_and_sai_say_their_wording_is_not_yet_checked_against_the_source(
    instruments: Mapping[str, Instrument],
) -> None:
    for i in ("wai_sr", "sai"):
        assert instruments[i].content_status is ContentStatus.SECONDARY_SOURCE_UNVERIFIED
        assert instruments[i].content_note


def _strings(node: object, where: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a definition file with where it is, keys left out (linkIds, codes)."""
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{where}[{i}]")


@pytest.mark.parametrize("path", sorted(INSTRUMENTS_DIR.glob("*.json")), ids=lambda p: p.name)
def test_no_shipped_instrument_text_in_any_language_has_a_blank_to_fill_in(path: Path) -> None:
    # A printed form's blank ("I believe ____ likes me") reaches the patient as it is; the
    # shipped files fill it ("my therapist"), so a run of underscores is never a text.
    blanks = [
        (where, text)
        for where, text in _strings(json.loads(path.read_text(encoding="utf-8")))
        if re.search(r"_{2,}|\[(name|navn)\]", text, re.IGNORECASE)
    ]
    assert blanks == []


def test_the_english_wai_sr_names_my_therapist_where_the_form_has_a_blank(
    instruments: Mapping[str, Instrument],
) -> None:
    wai = instruments["wai_sr"]
    assert wai.item("wai_sr_3").text["en"] == "I believe my therapist likes me."
    assert wai.item("wai_sr_5").text["en"] == "My therapist and I respect each other."
    assert wai.item("wai_sr_9").text["en"].startswith("I feel my therapist cares about me")
    # Only the blank changed: eight items name the therapist, as nb and nn do.
    assert sum("my therapist" in it.text["en"].lower() for it in wai.items) == 8


def test_the_vas_demo_is_marked_as_a_demo_and_uses_the_vas_item_type(
    instruments: Mapping[str, Instrument],
) -> None:
    demo = instruments["vas_demo"]
    assert demo.demo and demo.content_status is ContentStatus.DEMO
    assert all(it.type is ItemType.VAS for it in demo.items)
    assert demo.items[0].vas is not None and demo.items[0].vas.decimals == 1


def test_english_phq9_item_9_is_reproduced_verbatim_from_camcops(
    instruments: Mapping[str, Instrument],
) -> None:
    # CamCOPS server/camcops_server/extra_strings/phq9.xml, string "q9", without "9. ".
    assert instruments["phq9"].item("phq9_9").text["en"] == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )


def test_gad7_answer_zero_reads_not_at_all_and_not_the_misprint_not_at_all_sure(
    instruments: Mapping[str, Instrument],
) -> None:
    assert instruments["gad7"].items[0].options[0].display["en"] == "Not at all"


def test_an_unknown_instrument_id_raises_a_clear_error() -> None:
    with pytest.raises(UnknownInstrumentError):
        get_instrument("nope")


def test_a_schema_error_names_the_file_and_the_field(tmp_path: Path) -> None:
    data = _raw("phq9")
    data["scoring"]["direction"] = "sideways"
    bad = tmp_path / "broken.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError) as exc:
        load_instrument_file(bad)
    assert exc.value.path == "broken.json"
    assert exc.value.field == "scoring.direction"


def test_invalid_json_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(InstrumentDefinitionError, match=r"x\.json: line 2"):
        load_instrument_file(bad)


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["scoring"]["items"].append("phq9_99"), "scoring.items[9]"),
        (lambda d: d["scoring"]["range"].update(max=30), "scoring.range"),
        (lambda d: d["scoring"]["bands"]["levels"][2].update(min=3), "scoring.bands.levels[2].min"),
        (lambda d: d["scoring"]["bands"]["levels"][0].update(min=1), "scoring.bands.levels[0].min"),
        (lambda d: d["item"][0]["text"].pop("nn"), "item[0].text"),
        (lambda d: d["scoring"]["riskItems"][0].update(linkId="zz"), "scoring.riskItems[0].linkId"),
        (
            lambda d: d["scoring"]["riskItems"][0].update(threshold=9),
            "scoring.riskItems[0].threshold",
        ),
        (lambda d: d["scoring"]["clinicalCutoff"].update(value=99), "scoring.clinicalCutoff.value"),
        (lambda d: d["scoring"]["missing"].update(maxMissing=9), "scoring.missing.maxMissing"),
        (lambda d: d["item"][0].update(answerSet="nope"), "item[0].answerSet"),
        (
            lambda d: d["scoring"]["reliableChange"].update(sd=8.0, r=0.8, z=1.96),
            "scoring.reliableChange.threshold",
        ),
    ],
)
def test_domain_checks_name_the_field_at_fault(
    mutate: Callable[[dict[str, Any]], object], field: str
) -> None:
    data = copy.deepcopy(_raw("phq9"))
    mutate(data)
    with pytest.raises(InstrumentDefinitionError) as exc:
        parse_definition(data, "phq9.json")
    assert exc.value.field == field
    assert str(exc.value).startswith("phq9.json: ")


def test_a_service_directory_adds_instruments_and_replaces_one_with_the_same_id(
    tmp_path: Path,
) -> None:
    core = _raw("core10")
    core["version"] = "1.1.0"
    core["languages"]["nb"] = {"status": "official", "source": "CORE System Trust (licensed)"}
    for where in [core["title"], core["instructions"], *(it["text"] for it in core["item"])]:
        where["nb"] = "tekst"
    for opt in core["answerSets"]["frequency"]:
        opt["display"]["nb"] = "svar"
    (tmp_path / "core10.json").write_text(json.dumps(core), encoding="utf-8")
    extra = _raw("vas_demo")
    extra["id"] = "vas_local"
    (tmp_path / "vas_local.json").write_text(json.dumps(extra), encoding="utf-8")

    lib = load_instruments(extra_dirs=[tmp_path])

    assert lib["core10"].version == "1.1.0"
    assert lib["core10"].languages["nb"].status is TranslationStatus.OFFICIAL
    assert "vas_local" in lib and "phq9" in lib
