"""Tests of eit_geo.resources_resolve: free-text resource names of inventories → codes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from eit_geo import resources_resolve
from eit_geo.codes import normalise_code
from eit_geo.datafiles import read_table
from eit_geo.resources_resolve import (
    AUTO_CONFIDENCE,
    Resolution,
    fold_name,
    measure_resolver,
    resolve_resource,
    resolve_resources,
)

LABELLED = Path(__file__).parent / "data" / "resource_names.csv"


@pytest.mark.parametrize(
    ("text", "key", "detail"),
    [
        ("Boues de STEP (MS 20 %)", "boue step ms", None),
        ("SCIURE", "sciure", None),
        ("Sciure (80 t/an)", "sciure", None),
        ("Copeaux bois (benne 30 m3)", "copeau boi benne", None),
        ("vapeur BP 6 bars", "vapeur bp", "6 bar"),
        ("Vapeur MP 12 b", "vapeur mp", "12 bar"),
        ("chaleur fatale 40°C", "chaleur fatale", "40 °C"),
        ("Waste heat (35 °C)", "waste heat", "35 °C"),
        ("vapeur MP 12 bars 190°C", "vapeur mp", "190 °C, 12 bar"),
        ("Métaux", "metal", None),
        ("Ecorces", "ecorce", None),
        ("Brewers' spent grains", "brewer spent grain", None),
        ("D.I.B.", "dib", None),
        ("CO₂", "co2", None),
        ("Granulats (0/31,5)", "granulat", None),
        ("Œufs cassés", "oeuf cass", None),
    ],
)
def test_fold_name(text: str, key: str, detail: str | None) -> None:
    assert fold_name(text) == (key, detail)


def test_plurals_and_singulars_fold_alike() -> None:
    pairs = [
        ("palettes", "palette"),
        ("copeaux", "copeau"),
        ("métaux", "métal"),
        ("ashes", "ash"),
        ("glasses", "glass"),
        ("eaux", "eau"),
        ("slurries", "slurry"),
    ]
    for plural, singular in pairs:
        assert fold_name(plural)[0] == fold_name(singular)[0]


@pytest.mark.parametrize(
    ("text", "code", "method"),
    [
        ("10 01 02", "10 01 02", "code"),
        ("150101", "15 01 01", "code"),
        ("13 02 05", "13 02 05*", "code"),
        ("19 08 05 - Boues de STEP", "19 08 05", "code"),
        ("Cendres volantes (10 01 02)", "10 01 02", "code"),
        ("steam", "steam", "code"),
        ("Vapeur", "steam", "code"),
        ("Sciure de bois", "03 01 05", "synonym"),
        ("sciures", "03 01 05", "synonym"),
        ("Palettes", "15 01 03", "synonym"),
        ("boues de step", "19 08 05", "synonym"),
        ("Laitier de haut-fourneau", "10 02 02", "synonym"),
        ("Mâchefers", "19 01 12", "synonym"),
        ("Drêches", "02 07 04", "synonym"),
        ("Spent grain", "02 07 04", "synonym"),
        ("Wood chips", "biomass_fuel", "synonym"),
        ("DIB", "20 03 01", "synonym"),
        ("Huiles usagées", "13 02 05*", "synonym"),
        ("pneus usagés", "16 01 03", "fuzzy"),
        ("cartons bruns en balles", "15 01 01", "fuzzy"),
        ("Sewage sludge (dewatered)", "19 08 05", "fuzzy"),
        ("Feraille", "metals", "fuzzy"),
        ("Woodchips", "biomass_fuel", "fuzzy"),
        ("Battitures de laminoir", "10 02 10", "ewc_label"),
        ("déchets de dégrillage", "19 08 01", "ewc_label"),
        ("boues de fosses septiques", "20 03 04", "ewc_label"),
        ("end-of-life tyres", "16 01 03", "ewc_label"),
    ],
)
def test_resolve_resource(text: str, code: str, method: str) -> None:
    resolution = resolve_resource(text)
    assert (resolution.code, resolution.method) == (code, method)
    assert resolution.text == text
    assert resolution.confidence >= AUTO_CONFIDENCE
    assert resolution.suggestions[0][0] == code


@pytest.mark.parametrize(
    ("text", "code", "detail"),
    [
        ("chaleur fatale 40°C", "waste_heat", "40 °C"),
        ("Chaleur fatale (80 °C)", "hot_water", "80 °C"),
        ("Waste heat (35°C)", "waste_heat", "35 °C"),
        ("Waste heat (70 °C)", "hot_water", "70 °C"),
        ("Eau chaude (45 °C)", "waste_heat", "45 °C"),
        ("Eau chaude 60°C", "hot_water", "60 °C"),
        ("Chaleur fatale", "waste_heat", None),
        ("Eau chaude", "hot_water", None),
        ("vapeur BP 6 bars", "steam", "6 bar"),
        ("Vapeur surchauffée 250°C", "steam", "250 °C"),
    ],
)
def test_temperature_decides_between_waste_heat_and_hot_water(
    text: str, code: str, detail: str | None
) -> None:
    resolution = resolve_resource(text)
    assert (resolution.code, resolution.detail) == (code, detail)


@pytest.mark.parametrize("text", ["Boues", "Cendres", "Divers", "Autres déchets", "Sludge"])
def test_vague_names_stay_to_be_coded(text: str) -> None:
    resolution = resolve_resource(text)
    assert resolution.code is None
    assert resolution.confidence < AUTO_CONFIDENCE


def test_names_to_be_coded_keep_their_suggestions() -> None:
    resolution = resolve_resource("Boues")
    assert resolution.method == "fuzzy"
    assert 1 <= len(resolution.suggestions) <= 5
    scores = [score for _, score in resolution.suggestions]
    assert all(normalise_code(code) == code for code, _ in resolution.suggestions)
    assert scores == sorted(scores, reverse=True)
    assert resolution.confidence <= scores[0]


@pytest.mark.parametrize("text", ["Air comprimé", "froid", "Eau potable", "Compressed air"])
def test_known_names_that_are_no_resource_stay_to_be_coded(text: str) -> None:
    assert resolve_resource(text) == Resolution(text, None, 0.0, "none", ())


def test_a_leftover_word_keeps_a_name_from_being_coded_by_itself() -> None:
    assert resolve_resource("Déchets plastiques").code == "plastics"
    leftover = resolve_resource("Autres déchets plastiques")
    assert leftover.code is None
    assert leftover.suggestions[0][0] == "plastics"


def test_blank_and_figures_only_names() -> None:
    for text in ("", "   ", "1 200 t"):
        resolution = resolve_resource(text)
        assert resolution == Resolution(text, None, 0.0, "none", ())


def test_resolve_resources_gives_one_resolution_per_distinct_text() -> None:
    texts = pd.Series(["Sciure", "Palettes", "Sciure", "sciure", "Boues", "Palettes"])
    resolved = resolve_resources(texts)
    assert list(resolved) == ["Sciure", "Palettes", "sciure", "Boues"]
    codes = [resolved[text].code for text in texts]
    assert codes == ["03 01 05", "15 01 03", "03 01 05", "03 01 05", None, "15 01 03"]


def test_synonym_table_is_sound() -> None:
    table = read_table("resource_synonyms.csv")
    assert len(table) >= 300
    assert (table["source"] != "").all()
    assert set(table["lang"]) == {"fr", "en"}
    assert all(normalise_code(code) is not None for code in table["code"] if code)
    folded = table.assign(key=table["name"].map(lambda name: fold_name(name)[0]))
    codes = folded.groupby("key")["code"].nunique()
    assert codes[codes > 1].empty, codes[codes > 1]


def test_a_synonym_row_with_an_unknown_code_is_skipped_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = read_table("resource_synonyms.csv")
    extra = pd.DataFrame([{"name": "tourbe", "code": "99 99 99", "lang": "fr", "source": "x"}])
    patched = pd.concat([table, extra], ignore_index=True).fillna("")
    monkeypatch.setattr(
        resources_resolve,
        "read_table",
        lambda name: patched if name == "resource_synonyms.csv" else read_table(name),
    )
    # Private caches cleared, on purpose: the tables are read once per process and no setting
    # points the resolver at another synonym table; cleared again after, for the next tests.
    resources_resolve._vocabulary.cache_clear()
    resources_resolve._resolve.cache_clear()
    try:
        with pytest.warns(UserWarning, match="'99 99 99' is not a resource code"):
            peat = resolve_resource("tourbe")
        assert peat.code != "99 99 99"
        assert peat.method != "synonym"
    finally:
        resources_resolve._vocabulary.cache_clear()
        resources_resolve._resolve.cache_clear()


def _labelled() -> pd.DataFrame:
    return pd.read_csv(LABELLED, dtype=str, keep_default_na=False)


def test_labelled_set_is_large_and_not_the_synonym_table() -> None:
    labelled = _labelled()
    assert len(labelled) >= 300
    assert not labelled["name"].duplicated().any()
    assert {"fr", "en"} == set(labelled["lang"])
    assert {"dev", "holdout-1", "holdout-2"} == set(labelled["set"])
    synonyms = {fold_name(name)[0] for name in read_table("resource_synonyms.csv")["name"]}
    literal = labelled["name"].map(lambda name: fold_name(name)[0] in synonyms)
    assert literal.mean() < 0.5
    assert all(normalise_code(code) is not None for code in labelled["expected"] if code)


def test_resolver_meets_its_goal_on_the_labelled_set() -> None:
    labelled = _labelled()
    score = measure_resolver(labelled["name"], labelled["expected"])
    assert score.names == len(labelled)
    assert score.coverage >= 0.80
    assert score.precision >= 0.95


def test_resolver_meets_its_goal_on_names_written_after_the_tuning() -> None:
    blind = _labelled().query("set == 'holdout-2'")
    score = measure_resolver(blind["name"], blind["expected"])
    assert score.coverage >= 0.80
    assert score.precision >= 0.95


def test_measure_resolver_counts_a_code_given_to_a_vague_name_as_wrong() -> None:
    score = measure_resolver(["Sciure", "Autres"], ["03 01 05", ""], threshold=0.0)
    assert (score.names, score.coded, score.right) == (2, 2, 1)
    assert score.coverage == 1.0
    assert score.precision == 0.5
