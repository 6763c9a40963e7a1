"""Tests of eit_geo.codes: code normalisation, families, EWC chapters, distances, aliases."""

from __future__ import annotations

import math

import pytest

from eit_geo.codes import (
    FAMILIES,
    canonical_alias,
    default_max_km,
    ewc_parents,
    ewc_table,
    family_default_max_km,
    family_of,
    fold_text,
    is_ewc_chapter,
    is_ewc_code,
    normalise_code,
    resource_label,
    resource_table,
    substitution_table,
)
from eit_geo.datafiles import read_table


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10 01 02", "10 01 02"),
        ("100102", "10 01 02"),
        (" 10 01 02 ", "10 01 02"),
        ("10.01.02", "10 01 02"),
        ("10-01-02", "10 01 02"),
        ("16 01 07*", "16 01 07*"),
        ("160107*", "16 01 07*"),
        ("16 01 07 *", "16 01 07*"),
        ("10", "10"),
        ("10 01", "10 01"),
        ("1001", "10 01"),
        ("20204", "02 02 04"),  # a spreadsheet number that lost its leading zero
        ("203", "02 03"),
        ("steam", "steam"),
        ("Steam", "steam"),
        ("hot water", "hot_water"),
        ("Hot-Water", "hot_water"),
        ("CO2", "co2"),
    ],
)
def test_normalise_code(raw: str, expected: str) -> None:
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "unobtainium",
        "vapeur sèche",
        "99 01 02",
        "00 01 02",
        "21",
        "10*",
        "10 01*",
        "1234567",
        "10 01 02 03",
        "10.5",
        "",
        "   ",
        None,
        math.nan,
    ],
)
def test_normalise_code_unknown(raw: object) -> None:
    assert normalise_code(raw) is None


def test_every_shipped_code_is_canonical() -> None:
    for code in resource_table().index:
        assert normalise_code(code) == code


@pytest.mark.parametrize(
    ("code", "full", "chapter"),
    [
        ("10 01 02", True, False),
        ("16 01 07*", True, False),
        ("10", False, True),
        ("10 01", False, True),
        ("steam", False, False),
    ],
)
def test_ewc_kinds(code: str, full: bool, chapter: bool) -> None:
    assert is_ewc_code(code) is full
    assert is_ewc_chapter(code) is chapter


@pytest.mark.parametrize(
    ("code", "parents"),
    [
        ("10 01 02", ["10 01", "10"]),
        ("16 01 07*", ["16 01", "16"]),
        ("02 02 04", ["02 02", "02"]),
        ("10 01", []),
        ("10", []),
        ("steam", []),
    ],
)
def test_ewc_parents(code: str, parents: list[str]) -> None:
    assert ewc_parents(code) == parents


@pytest.mark.parametrize(
    ("code", "family"),
    [
        ("steam", "energy"),
        ("electricity", "energy"),
        ("cooling_water", "water"),
        ("co2", "gas"),
        ("gypsum", "material"),
        ("10 01 02", "material"),
        ("16 01 07*", "material"),
        ("10", "material"),
    ],
)
def test_family_of(code: str, family: str) -> None:
    assert family_of(code) == family


def test_family_of_follows_resources_csv() -> None:
    table = read_table("resources.csv")
    for code, family in zip(table["code"], table["family"], strict=True):
        assert family_of(code) == family
        assert family in FAMILIES


def test_default_max_km() -> None:
    resources = read_table("resources.csv").set_index("code")
    families = read_table("families.csv").set_index("family")
    steam = float(resources.at["steam", "default_max_km"])
    assert default_max_km("steam") == steam
    assert default_max_km("electricity") is None
    assert resources.at["electricity", "default_max_km"] == ""
    # a waste code without its own row takes the material family's distance
    assert "16 01 07*" not in resources.index
    material = float(families.at["material", "default_max_km"])
    assert default_max_km("16 01 07*") == material
    assert family_default_max_km("material") == material
    # a waste code with its own row keeps it
    assert default_max_km("10 01 02") == float(resources.at["10 01 02", "default_max_km"])


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("column", "identifiant", "id"),
        ("column", "Nom", "name"),
        ("column", "secteur", "sector"),
        ("column", "effectif", "employees"),
        ("column", "entreprise", "company_id"),
        ("column", "sens", "direction"),
        ("column", "ressource", "resource"),
        ("column", "Quantité", "quantity"),
        ("column", "quantite", "quantity"),
        ("column", "unité", "unit"),
        ("column", "libellé", "label"),
        ("column", "depuis", "since"),
        ("column", "\ufeffid", "id"),
        ("column", "Couleur", "couleur"),
        ("direction", "sortie", "output"),
        ("direction", "offre", "output"),
        ("direction", "Entrée", "input"),
        ("direction", "entree", "input"),
        ("direction", "besoin", "input"),
        ("direction", "achat", None),
        ("unit", "t/an", "t/yr"),
        ("unit", "m3/an", "m3/yr"),
        ("unit", "m³/an", "m3/yr"),
        ("unit", "MWh/an", "MWh/yr"),
        ("unit", "m³ / an", "m3/yr"),
        ("unit", "kg/an", None),
        ("table", "entreprises", "companies"),
        ("table", "Flux", "flows"),
        ("table", "périmètre", "perimeter"),
        ("table", "notes", None),
        ("column", "Quantité (t/an)", "quantity"),
        ("column", "unité [texte]", "unit"),
        ("column", "(note)", "(note)"),
    ],
)
def test_canonical_alias(kind: str, value: str, expected: str | None) -> None:
    assert canonical_alias(kind, value) == expected


def test_fold_text() -> None:
    assert fold_text("  Quantité totale ") == "quantite_totale"
    assert fold_text("m³ / an") == "m3/an"


def test_resource_label() -> None:
    resources = read_table("resources.csv").set_index("code")
    assert resource_label("steam") == resources.at["steam", "label_fr"]
    assert resource_label("steam", "en") == resources.at["steam", "label_en"]
    assert resource_label("10") == "Déchets provenant de procédés thermiques"
    assert resource_label("10", "en") == "Wastes from thermal processes"
    assert resource_label("10 01 99") == "10 01 99 — Déchets non spécifiés ailleurs"
    assert resource_label("16 01 07*", "en") == "16 01 07* — Oil filters"
    assert resource_label("pas_un_code") == "pas_un_code"


def test_chapter_titles_are_put_in_sentence_case() -> None:
    assert ewc_table().at["08", "label_fr"].startswith("DÉCHETS PROVENANT DE LA FABRICATION")
    label = resource_label("08")
    assert label.startswith("Déchets provenant de la fabrication, de la formulation")
    assert "(FFDU)" in label
    kept = "(sauf huiles alimentaires et huiles figurant aux chapitres 05, 12 et 19)"
    assert resource_label("13") == f"Huiles et combustibles liquides usagés {kept}"


def test_the_whole_european_list_of_waste_is_shipped() -> None:
    table = ewc_table()
    levels = table["level"].value_counts()
    assert (levels["chapter"], levels["sub-chapter"], levels["entry"]) == (20, 111, 842)
    entries = table[table["level"] == "entry"]
    assert (entries["hazardous"] == "yes").sum() == 408
    assert (table["label_fr"] != "").all()
    assert (table["label_en"] != "").all()


def test_every_six_digit_code_shows_its_own_label() -> None:
    table = ewc_table()
    entries = table.index[table["level"] == "entry"]
    for entry in entries:
        code = normalise_code(entry)
        assert code is not None
        for lang in ("fr", "en"):
            label = resource_label(code, lang)
            assert label != code
            own = ewc_table().at[entry, f"label_{lang}"]
            shipped = code in resource_table().index
            assert shipped or label.lower().endswith(own.lower()), (code, label)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13 02 05", "13 02 05*"),  # hazardous in the list: the star is added
        ("130205", "13 02 05*"),
        ("10 01 02*", "10 01 02"),  # not hazardous: the star is dropped
        ("16 01 07", "16 01 07*"),
        ("01 02 01", None),  # chapter 01 has no sub-chapter 02
        ("10 01 50", None),  # sub-chapter 10 01 has no entry 50
        ("19 12", "19 12"),
        ("19 13", "19 13"),
        ("19 14", None),
    ],
)
def test_six_digit_codes_follow_the_list(raw: str, expected: str | None) -> None:
    assert normalise_code(raw) == expected


@pytest.mark.parametrize(
    ("output", "input_code"),
    [
        ("10 01 05", "gypsum"),
        ("10 01 07", "gypsum"),
        ("10 01 02", "cement_raw_material"),
        ("10 01 01", "cement_raw_material"),
        ("10 02 02", "aggregates"),
        ("10 02 02", "cement_raw_material"),
        ("10 02 01", "aggregates"),
        ("19 08 12", "fertiliser"),
        ("02 07 05", "fertiliser"),
        ("02 07 04", "animal_feed"),
        ("02 03 04", "animal_feed"),
        ("03 01 05", "wood"),
        ("17 02 01", "biomass_fuel"),
        ("steam", "hot_water"),
        ("waste_heat", "hot_water"),
        ("treated_wastewater", "cooling_water"),
        ("treated_wastewater", "process_water"),
        ("cooling_water", "process_water"),
    ],
)
def test_substitution_table_holds_the_contract_rows(output: str, input_code: str) -> None:
    table = substitution_table()
    assert ((table["output"] == output) & (table["input"] == input_code)).any()


def test_substitution_codes_are_canonical() -> None:
    raw = read_table("substitutions.csv")
    table = substitution_table()
    assert len(table) == len(raw)
    assert all(normalise_code(code) == code for code in (*table["output"], *table["input"]))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("vapeur", "steam"),
        ("Vapeur", "steam"),
        ("Eaux usées traitées", "treated_wastewater"),
        ("chaleur fatale", "waste_heat"),
        ("gypse", "gypsum"),
        ("Électricité", "electricity"),
        ("vapeurs d'eau", None),
    ],
)
def test_french_names_of_core_codes(raw: str, expected: str | None) -> None:
    assert normalise_code(raw) == expected
