"""Tests of eit_geo.charts: the figures as objects (traces, colours, hatching, export)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
import pytest

from eit_geo import benchmarks, charts, indicators
from eit_geo.datafiles import example_path, read_table
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from eit_geo.zone import Zone

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


@pytest.fixture(scope="module")
def zone() -> Zone:
    return load_zone(example_path("kalundborg"))


@pytest.fixture(scope="module")
def scenario(zone: Zone) -> indicators.Scenario:
    return indicators.existing_scenario(zone)


def test_figure_config_downloads_a_png() -> None:
    config = charts.figure_config("eit-geo-kalundborg-co2", scale=3)
    options = config["toImageButtonOptions"]
    assert options == {
        "format": "png",
        "filename": "eit-geo-kalundborg-co2",
        "scale": 3,
        "width": 1600,
        "height": 900,
    }
    assert config["displaylogo"] is False


def test_family_colours_are_okabe_ito() -> None:
    colours = charts.family_colours()
    assert set(colours) == set(read_table("families.csv")["family"])
    assert set(colours.values()) <= OKABE_ITO
    assert {charts.ZONE_COLOUR, charts.CASE_COLOUR} <= OKABE_ITO


def test_benchmark_figure(scenario: indicators.Scenario, zone: Zone) -> None:
    table = benchmarks.benchmark_table(scenario, zone, lang="fr", title="Kalundborg (Danemark)")
    figure = charts.benchmark_figure(table, "co2_avoided_t", "absolute", "fr")
    assert isinstance(figure, go.Figure)
    (bar,) = figure.data
    assert bar.orientation == "h"
    labels = list(bar.y)
    zone_at = labels.index("<b>Kalundborg (Danemark) (calculé ici)</b>")  # stands out
    assert bar.marker.color[zone_at] == charts.ZONE_COLOUR
    assert bar.marker.line.width[zone_at] > 0
    assert sum(width > 0 for width in bar.marker.line.width) == 1
    assert bar.marker.pattern.shape[zone_at] == charts.HATCH  # the zone's CO2 is an estimate
    assert bar.text[zone_at].startswith("≈ ")
    published = labels.index("Kalundborg (analyse CO2 2018) — 2018")
    assert bar.marker.color[published] == charts.CASE_COLOUR
    assert bar.marker.pattern.shape[published] == ""
    assert bar.text[published] == "635\u202f000"
    assert list(bar.x) == sorted(bar.x)  # largest at the top
    assert figure.layout.xaxis.type == "log"  # 23 t (ECOPAL) to 1.2 Mt (DK6)
    notes = [note.text for note in figure.layout.annotations]
    assert any(note.startswith("Échelle logarithmique : chaque graduation") for note in notes)
    assert figure.layout.font.size >= 18
    assert figure.layout.separators == ",\u202f"  # decimal comma, narrow no-break space


def test_benchmark_figure_linear_when_close(scenario: indicators.Scenario, zone: Zone) -> None:
    table = benchmarks.benchmark_table(scenario, zone, lang="en")
    figure = charts.benchmark_figure(table, "water_saved_m3", "per_partner", "en")
    assert figure.layout.xaxis.type == "linear"
    assert "per partner company" in figure.layout.xaxis.title.text
    assert not any("Logarithmic" in note.text for note in figure.layout.annotations)


def test_family_figure(scenario: indicators.Scenario) -> None:
    families = indicators.by_family(scenario)
    figure = charts.family_figure(families, "en")
    assert len(figure.data) == len(charts.FAMILY_PANELS)
    colours = charts.family_colours()
    for trace in figure.data:
        assert list(trace.x) == ["Energy", "Material", "Water"]
        assert list(trace.marker.color) == [colours[f] for f in families["family"]]
    co2 = figure.data[3]
    assert list(co2.y) == list(families["co2_avoided_t"])
    assert all(shape == charts.HATCH for shape in co2.marker.pattern.shape)


def test_sankey_figure_one_unit_only(zone: Zone) -> None:
    scenario = indicators.existing_scenario(zone, year=2018)  # the fly ash ran until 2019
    figure = charts.sankey_figure(scenario.exchanges, "t/yr", "en")
    (sankey,) = figure.data
    rows = scenario.exchanges[scenario.exchanges["unit"] == "t/yr"]
    assert sum(sankey.link.value) == rows["quantity"].sum()
    assert len(sankey.link.value) == len(rows)
    labels = list(sankey.node.label)
    assert labels[sankey.link.source[0]] == rows["from_name"].iloc[0]
    assert labels[sankey.link.target[0]] == rows["to_name"].iloc[0]
    assert "Aalborg Portland" in labels
    assert sankey.link.color[0] == "rgba(0,158,115,0.55)"  # material, #009E73
    assert "Coal fly ash" in " ".join(sankey.link.customdata)


def test_growth_figure(zone: Zone) -> None:
    growth = indicators.network_growth(zone)
    figure = charts.growth_figure(growth, "fr")
    assert {trace.name for trace in figure.data} == {"Énergie", "Matière", "Eau"}
    assert figure.layout.title.text == "Synergies en service depuis 1972"
    last = sum(trace.y[-1] for trace in figure.data)
    assert last == zone.synergies["since"].notna().sum()
    assert all(trace.x[-1] == 2019 for trace in figure.data)  # the 2018 step stays visible
    assert figure.layout.yaxis.tickformat == ",d"  # counts of synergies: whole numbers
    assert figure.layout.xaxis.tickformat == "d"  # years: 2018, not 2 018
