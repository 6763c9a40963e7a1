"""Tests of eit_geo.import_shapes: the shape of a table, and lists of resources in one cell."""

from __future__ import annotations

import pytest

from eit_geo.import_shapes import classify_table, split_items


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("steel slag | steam", ["steel slag", "steam"]),
        ("sciure; copeaux ;palettes", ["sciure", "copeaux", "palettes"]),
        ("sciure, copeaux", ["sciure", "copeaux"]),
        ("vapeur 6,5 bars, sciure", ["vapeur 6,5 bars", "sciure"]),
        ("- boues\n- graisses\r\n- boues", ["boues", "graisses"]),
        ("• cendres • mâchefers", ["cendres", "mâchefers"]),
        ("chaleur, 40 °C | vapeur", ["chaleur, 40 °C", "vapeur"]),
        ("", []),
    ],
)
def test_split_items(cell: str, items: list[str]) -> None:
    assert split_items(cell) == items


@pytest.mark.parametrize(
    ("fields", "elsewhere", "shape"),
    [
        ({"siret", "name", "x", "y", "direction", "label", "quantity"}, False, "flat"),
        ({"name", "lat", "lon", "needs", "offers"}, False, "lists"),
        ({"id", "name", "lat", "lon"}, False, "companies"),
        ({"company", "direction", "resource", "quantity", "unit"}, True, "flows"),
        ({"company", "direction", "resource", "quantity", "unit"}, False, "flat"),
        ({"siret", "direction", "resource"}, True, "flows"),
        ({"from_id", "to_id", "resource"}, True, "synergies"),
        ({"label", "quantity"}, True, "ignore"),
        (set(), False, "ignore"),
    ],
)
def test_classify_table(fields: set[str], elsewhere: bool, shape: str) -> None:
    assert classify_table(fields, companies_elsewhere=elsewhere) == shape
