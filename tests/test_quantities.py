"""Tests of eit_geo.quantities: quantities and units of real inventories → contract units."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from eit_geo.datafiles import read_table
from eit_geo.quantities import STATUSES, Quantity, parse_quantities, parse_quantity


@pytest.mark.parametrize(
    ("quantity", "unit", "value", "expected_unit"),
    [
        ("80", "t/an", 80.0, "t/yr"),
        (80, "t/an", 80.0, "t/yr"),
        (12.5, "MWh/an", 12.5, "MWh/yr"),
        ("1 200", "t/an", 1200.0, "t/yr"),
        ("1\u202f200,5", "m³/an", 1200.5, "m3/yr"),
        ("1\u00a0200", "m3/an", 1200.0, "m3/yr"),
        ("1 234,5", "t/yr", 1234.5, "t/yr"),
        ("1,234.5", "t/yr", 1234.5, "t/yr"),
        ("80 t/an", None, 80.0, "t/yr"),
        ("80 t", "t/an", 80.0, "t/yr"),
        ("2 500", "kg/an", 2.5, "t/yr"),
        ("10", "GJ/an", 10 / 3.6, "MWh/yr"),
        ("50", "tep/an", 581.5, "MWh/yr"),
        ("0,5", "GWh/an", 500.0, "MWh/yr"),
        ("10 000", "kWh/an", 10.0, "MWh/yr"),
        ("10", "MWh PCI/an", 10.0, "MWh/yr"),
        ("120", "MWhth/an", 120.0, "MWh/yr"),
        ("8 000", "L/an", 8.0, "m3/yr"),
        ("40", "hl/an", 4.0, "m3/yr"),
        ("3", "kt/an", 3000.0, "t/yr"),
        ("12", "tonnes par an", 12.0, "t/yr"),
        ("12", "t.an-1", 12.0, "t/yr"),
        ("12", "tpa", 12.0, "t/yr"),
        ("1.5E3", "t/an", 1500.0, "t/yr"),
    ],
)
def test_published_quantities(
    quantity: object, unit: str | None, value: float, expected_unit: str
) -> None:
    parsed = parse_quantity(quantity, unit)
    assert parsed.value == pytest.approx(value)
    assert (parsed.unit, parsed.status, parsed.note) == (expected_unit, "published", None)


@pytest.mark.parametrize(
    ("quantity", "unit", "value", "expected_unit", "said"),
    [
        ("environ 200 000 t", None, 200_000.0, "t/yr", "environ 200 000 t"),
        ("~500", "m3/an", 500.0, "m3/yr", "~500"),
        ("≈ 80", "T/an", 80.0, "t/yr", "≈ 80"),
        ("> 1000", "t/an", 1000.0, "t/yr", "> 1000"),
        ("env. 1,2 Mt/an", None, 1_200_000.0, "t/yr", "env. 1,2 Mt/an"),
        ("1,2 Mt", None, 1_200_000.0, "t/yr", "sans période"),
        ("80 t", None, 80.0, "t/yr", "sans période"),
        ("3 500 m3/j", None, 3500.0 * 365, "m3/yr", "× 365"),
        ("1 200", "kg/j", 1.2 * 365, "t/yr", "par jour"),
        ("12", "t/mois", 144.0, "t/yr", "× 12"),
        ("4", "t/semaine", 208.0, "t/yr", "× 52"),
        ("2,5", "m3/h", 2.5 * 8760, "m3/yr", "8 760 heures"),
        ("2 MW", None, 2 * 8760, "MWh/yr", "puissance"),
        ("100-200", "t/an", 150.0, "t/yr", "fourchette 100 – 200"),
        ("100 à 200", "t/an", 150.0, "t/yr", "valeur médiane"),
        ("300 MWh/an (estimation)", None, 300.0, "MWh/yr", "valeur approchée"),
        ("environ 50 t/an (à confirmer)", None, 50.0, "t/yr", "valeur approchée"),
        ("80 (t/mois)", None, 960.0, "t/yr", "× 12"),
    ],
)
def test_estimates_say_their_assumption(
    quantity: str, unit: str | None, value: float, expected_unit: str, said: str
) -> None:
    parsed = parse_quantity(quantity, unit)
    assert parsed.value == pytest.approx(value)
    assert (parsed.unit, parsed.status) == (expected_unit, "estimate")
    assert parsed.note is not None
    assert said in parsed.note


@pytest.mark.parametrize(
    ("quantity", "unit", "value"),
    [
        ("3 000", "t MS/an", 3000.0),  # a wastewater plant's sludge, as its yearly report says
        ("3000", "tMS/an", 3000.0),
        ("12", "t de matière sèche par mois", 144.0),
        ("500 t DS/yr", None, 500.0),
        ("250", "kg MS/j", 250 * 365 / 1000),
    ],
)
def test_dry_matter_is_a_mass_said_and_estimated(
    quantity: str, unit: str | None, value: float
) -> None:
    parsed = parse_quantity(quantity, unit, resource="19 08 05")
    assert parsed.value == pytest.approx(value)
    assert (parsed.unit, parsed.status) == ("t/yr", "estimate")
    assert "matière sèche" in parsed.note
    english = parse_quantity(quantity, unit, resource="19 08 05", lang="en")
    assert "dry-matter mass" in english.note


def test_dry_matter_of_a_volume_is_not_guessed() -> None:
    parsed = parse_quantity("5", "m3 MS/an")
    assert (parsed.value, parsed.status) == (None, "unknown")
    assert "m3 MS/an" in parsed.note


def test_operating_assumptions_come_from_the_data_file() -> None:
    periods = read_table("quantity_periods.csv").set_index("period")
    hours = float(periods.at["hour", "per_year"])
    assert parse_quantity("1", "t/h").value == pytest.approx(hours)
    assert periods.at["hour", "assumption_fr"] in parse_quantity("1", "t/h").note
    assert (periods["source"] != "").all()


def test_notes_in_english() -> None:
    parsed = parse_quantity("3 500 m3/j", lang="en")
    assumption = "365 days a year, continuous operation"
    assert parsed.note == f"quantity per day converted to a year (× 365: {assumption})"
    assert parse_quantity("", "t/an", lang="en").note == "no quantity given"


@pytest.mark.parametrize(
    ("quantity", "unit", "said"),
    [
        ("", "t/an", "non renseignée"),
        (None, "t/an", "non renseignée"),
        (math.nan, "t/an", "non renseignée"),
        ("   ", "t/an", "non renseignée"),
        ("NC", "t/an", "inconnue « NC »"),
        ("n.c.", "t/an", "inconnue"),
        ("?", "t/an", "inconnue"),
        ("à préciser", "t/an", "inconnue"),
        ("beaucoup", "t/an", "illisible « beaucoup »"),
        ("0", "t/an", "nulle ou négative"),
        ("-5", "t/an", "nulle ou négative"),
        ("500", None, "500 sans unité"),
        ("500", "", "500 sans unité"),
        ("10", "boisseaux/an", "unité inconnue « boisseaux/an »"),
        ("10", "t/siècle", "unité inconnue"),
        ("10", "°C", "unité inconnue"),
    ],
)
def test_unknown_quantities_are_never_guessed(quantity: object, unit: str, said: str) -> None:
    parsed = parse_quantity(quantity, unit)
    assert (parsed.value, parsed.unit, parsed.status) == (None, None, "unknown")
    assert parsed.note is not None
    assert said in parsed.note


def test_hydrogen_in_tonnes_goes_through_its_sourced_factor() -> None:
    factors = read_table("quantity_factors.csv").set_index("applies_to")
    lhv = float(factors.at["hydrogen", "factor"])
    parsed = parse_quantity("5", "t/an", resource="hydrogen")
    assert parsed.value == pytest.approx(5 * lhv)
    assert (parsed.unit, parsed.status) == ("MWh/yr", "estimate")
    assert "33,3 kWh/kg" in parsed.note
    assert factors.at["hydrogen", "source"] in parsed.note


def test_a_factor_and_its_source_are_written_in_the_readers_language() -> None:
    factors = read_table("quantity_factors.csv").set_index("applies_to")
    french = parse_quantity("2 000", "m3/an", resource="biogas").note
    english = parse_quantity("2 000", "m3/an", resource="biogas", lang="en").note
    assert "(0,0055 MWh/m³ ; source : PCI du méthane 35,8 MJ/Nm³" in french
    assert "(0.0055 MWh/m³; source: methane lower heating value 35.8 MJ/Nm³" in english
    assert factors.at["biogas", "source_en"] in english
    assert "à confirmer" not in english
    assert "(× 8\u202f760 h : 8 760 heures par an" in parse_quantity("2", "MW").note
    assert "(× 8,760 h: 8,760 hours a year" in parse_quantity("2", "MW", lang="en").note


def test_mass_of_an_energy_without_factor_is_reported_not_converted() -> None:
    parsed = parse_quantity("400", "t/an", resource="electricity")
    assert (parsed.value, parsed.status) == (None, "unknown")
    assert "aucun facteur de conversion sourcé" in parsed.note
    parsed = parse_quantity("400", "m3/an", resource="waste_heat", lang="en")
    assert "no sourced conversion factor" in parsed.note


def test_water_in_tonnes_becomes_cubic_metres() -> None:
    parsed = parse_quantity("30", "t/an", resource="cooling_water")
    assert parsed.value == pytest.approx(30.0)
    assert (parsed.unit, parsed.status) == ("m3/yr", "estimate")


def test_material_keeps_the_kind_of_unit_it_is_given_in() -> None:
    assert parse_quantity("30", "m3/an", resource="03 01 05").unit == "m3/yr"
    assert parse_quantity("30", "MWh/an", resource="biomass_fuel").unit == "MWh/yr"
    assert parse_quantity("30", "t/an", resource="steam").unit == "MWh/yr"


def test_unit_written_in_the_quantity_wins_and_a_conflict_is_said() -> None:
    parsed = parse_quantity("80 t/an", "m3/an")
    assert (parsed.value, parsed.unit, parsed.status) == (80.0, "t/yr", "published")
    assert "différente de la colonne unité" in parsed.note


def test_every_status_is_a_contract_status() -> None:
    assert set(STATUSES) == {"published", "estimate", "unknown"}


def _inventory() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "quantity": ["80", "environ 200 000 t", "", "1 200", 12.5, "NC", "3 500 m3/j", "0"],
            "unit": ["t/an", None, "t/an", "kg/j", "MWh/an", "t/an", "", "t/an"],
            "resource": [
                "03 01 05",
                "10 02 02",
                "gypsum",
                "",
                "steam",
                "wood",
                "process_water",
                "-",
            ],
        },
        index=[10, 11, 12, 13, 14, 15, 16, 17],
    )


def test_parse_quantities_matches_parse_quantity_row_by_row() -> None:
    frame = _inventory()
    before = frame.copy()
    result = parse_quantities(frame, lang="en")
    pd.testing.assert_frame_equal(frame, before)
    assert list(result.columns) == ["value", "unit", "status", "note"]
    assert list(result.index) == list(frame.index)
    for index, row in frame.iterrows():
        one = parse_quantity(row["quantity"], row["unit"], resource=row["resource"], lang="en")
        got = result.loc[index]
        assert (None if pd.isna(got["value"]) else got["value"]) == one.value
        assert (got["unit"], got["status"], got["note"]) == (one.unit, one.status, one.note)


def test_parse_quantities_on_numeric_columns_and_without_resource() -> None:
    frame = pd.DataFrame({"quantité": [1.0, 2.5, np.nan, -1.0], "unité": ["t/an"] * 4})
    result = parse_quantities(frame, quantity="quantité", unit="unité", resource=None)
    assert result["value"].tolist()[:2] == [1.0, 2.5]
    assert result["status"].tolist() == ["published", "published", "unknown", "unknown"]
    assert result["value"].isna().tolist() == [False, False, True, True]


def test_quantity_is_a_record() -> None:
    parsed = parse_quantity("80", "t/an")
    assert parsed == Quantity(80.0, "t/yr", "published", None)
    with pytest.raises(AttributeError):
        parsed.value = 1.0  # type: ignore[misc]
