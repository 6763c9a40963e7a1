"""Tests of eit_geo.indicators' display: cards, tables, factor tables and the command's output."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from indicators_data import by_hand_scenario, exchanges, factors, write_small_zone

from eit_geo import indicators as ind
from eit_geo.cli import main
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from pathlib import Path


def test_kpi_cards_say_estimate_and_incomplete() -> None:
    table = factors(landfill_nonhazardous_industrial="")
    status = ["estimate", "", "", "", "", ""]
    scenario = ind.build_scenario("existing", exchanges(quantity_status=status), factors=table)
    cards = {card["key"]: card for card in ind.kpi_cards(scenario, "en")}
    assert "money_saved_eur" not in cards
    assert cards["energy_recovered_mwh"]["value"].startswith("≈ ")
    assert "Incomplete" in cards["co2_avoided_t"]["help"]
    assert (cards["water_saved_m3"]["value"], cards["water_saved_m3"]["unit"]) == (
        "10,000",
        "m³/yr",
    )
    baseline = ind.build_scenario("existing", exchanges().iloc[:1], factors=factors())
    cards = {c["key"]: c for c in ind.kpi_cards(scenario, "en", baseline=baseline)}
    assert cards["water_saved_m3"]["delta"] == "+10,000"


def test_indicator_table_is_translated() -> None:
    scenario = by_hand_scenario()
    table = ind.indicator_table(ind.by_family(scenario), "fr")
    assert list(table["Famille"]) == ["Énergie", "Matière", "Eau"]
    assert "CO₂ évité (net) (t CO₂e/an)" in table.columns


def test_factor_table_counts_the_exchanges_using_each_factor() -> None:
    scenario = by_hand_scenario()
    table = ind.factor_table(ind.read_factors(), scenario, "en").set_index("key")
    assert table.loc["natural_gas_lifecycle_pci", "used"] == 2  # steam and heat pump
    assert table.loc["road_freight_articulated_40t", "used"] == 2  # fly ash and sludge
    assert table.loc["virgin_glass", "used"] == 0
    assert table.loc["landfill_nonhazardous_industrial", "description"].startswith("Landfill")
    # steam declared in tonnes: its rule, in MWh/yr, values nothing, so no factor is used
    in_tonnes = exchanges().iloc[:1].assign(unit="t/yr")
    scenario = ind.build_scenario("existing", in_tonnes, factors=factors())
    table = ind.factor_table(ind.read_factors(), scenario, "en").set_index("key")
    assert table.loc["natural_gas_lifecycle_pci", "used"] == 0
    assert table["used"].sum() == 0


def test_editor_tables(tmp_path: Path) -> None:
    small_zone = load_zone(write_small_zone(tmp_path))
    editor = ind.factor_editor_table("en")
    assert list(editor.columns) == [
        "key", "description", "value", "unit", "source", "year", "status"
    ]  # fmt: skip
    prices = ind.price_template(small_zone)
    assert list(prices["code"]) == sorted(set(small_zone.flows["resource"]))
    assert prices[list(ind.PRICE_COLUMNS)].isna().all().all()
    avoided = ind.avoided_table("fr")
    assert "Ce qui est remplacé ou évité" in avoided.columns
    assert len(avoided) == len(ind.read_avoided())


# --------------------------------------------------------------------------- command line


def test_cli_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "kalundborg", "--json"]) == 0
    values = json.loads(capsys.readouterr().out)
    assert set(values) == {"zone", "existing", "optimal"}
    for name in ("existing", "optimal"):
        for key in (*ind.INDICATORS, "n_synergies", "missing_factors"):
            assert key in values[name]
    existing = values["existing"]
    assert existing["water_saved_m3"] == 1_700_000
    assert existing["n_synergies"] == 19  # of 20: the fly ash to Aalborg stopped in 2019
    assert existing["co2_avoided_t"] == pytest.approx(
        ind.existing_scenario(load_zone(example_path("kalundborg"))).totals["co2_avoided_t"]
    )


def test_cli_one_scenario_and_edited_factors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edited = ind.read_factors()
    edited.loc[edited["key"] == "landfill_nonhazardous_industrial", "value"] = 10.0
    path = tmp_path / "facteurs.csv"
    edited.to_csv(path, sep=";", index=False)
    assert main(["indicators", "kalundborg", "--scenario", "existing", "--json"]) == 0
    before = json.loads(capsys.readouterr().out)
    assert set(before) == {"zone", "existing"}
    assert (
        main(
            ["indicators", "kalundborg", "--scenario", "existing", "--json", "--factors", str(path)]
        )
        == 0
    )
    after = json.loads(capsys.readouterr().out)["existing"]
    assert after["missing_factors"] == ["natural_gypsum_vs_fgd"]
    # 451 000 t diverted × 10 kg/t = 4 510 t more (the fly ash, stopped in 2019, no longer counts)
    assert after["co2_avoided_t"] == pytest.approx(before["existing"]["co2_avoided_t"] + 4510)


def test_cli_text_and_bad_factor_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["indicators", "parc-rural", "--scenario", "existing", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "Tonnes diverted: 3,600 t/yr" in out
    assert "Landfill of non-hazardous industrial waste" in out
    assert "landfill_nonhazardous_industrial" not in out
    bad = tmp_path / "bad.csv"
    bad.write_text("key;value\nroad;1\n", encoding="utf-8")
    assert main(["indicators", "parc-rural", "--factors", str(bad)]) == 2
    assert "unit, status" in capsys.readouterr().err
