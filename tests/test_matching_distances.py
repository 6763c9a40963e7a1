"""Tests of eit_geo.matching.distances: maximum distances, their settings and their precedence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from engine_zones import links, zone

from eit_geo.matching import find_substitutions, parse_max_km, resolve_max_km


@pytest.mark.parametrize(
    ("max_km", "expected"),
    [
        (
            None,
            {("steam", "n1"), ("10 01 05", "n1"), ("10 01 05", "n2")}
            | {("electricity", "n3"), ("electricity", "n4")},
        ),
        (10, {("steam", "n1"), ("steam", "n2"), ("10 01 05", "n1"), ("10 01 05", "n2")}),
        (
            {"material": 100},
            {("steam", "n1"), ("10 01 05", "n1"), ("10 01 05", "n2"), ("10 01 05", "n3")}
            | {("electricity", "n3"), ("electricity", "n4")},
        ),
        (
            {"steam": 10},
            {("steam", "n1"), ("steam", "n2"), ("10 01 05", "n1"), ("10 01 05", "n2")}
            | {("electricity", "n3"), ("electricity", "n4")},
        ),
        ({"energy": 10, "steam": 2}, {("10 01 05", "n1"), ("10 01 05", "n2")}),
        (
            {"10 01": 70},
            {("steam", "n1"), ("10 01 05", "n1"), ("10 01 05", "n2"), ("10 01 05", "n3")}
            | {("electricity", "n3"), ("electricity", "n4")},
        ),
        ({"*": 1, "material": 100}, {("10 01 05", "n1"), ("10 01 05", "n2"), ("10 01 05", "n3")}),
        (
            {"electricity": 100},
            {("steam", "n1"), ("10 01 05", "n1"), ("10 01 05", "n2"), ("electricity", "n3")},
        ),
    ],
)
def test_distance_per_resource_and_overrides(max_km: object, expected: set) -> None:
    found = find_substitutions(zone("distances"), max_km=max_km, top_k=0)
    assert links(found, "resource", "to_id") == expected
    assert (found["distance_km"] <= found["max_km"].fillna(np.inf)).all()


def test_distances_are_metric() -> None:
    found = find_substitutions(zone("distances"), top_k=0).set_index("to_id")
    electricity = found[found["resource"] == "electricity"]
    assert electricity.at["n3", "distance_km"] == pytest.approx(60, rel=2e-3)
    assert electricity.at["n4", "distance_km"] == pytest.approx(400, rel=2e-3)
    assert np.isnan(electricity.at["n4", "max_km"])


def test_resolve_max_km_precedence() -> None:
    assert resolve_max_km("steam") == 5.0
    assert resolve_max_km("electricity") is None
    assert resolve_max_km("10 01 05") == 50.0
    assert resolve_max_km("07 07 99", {"material": 300}) == 300.0
    assert resolve_max_km("steam", {"energy": 10, "steam": 2}) == 2.0
    assert resolve_max_km("10 01 05", {"10": 80, "10 01": 70}) == 70.0
    assert resolve_max_km("steam", 12) == 12.0
    assert resolve_max_km("steam", {"*": 12, "energy": 3}) == 3.0
    assert resolve_max_km("steam", {"steam": math.inf}) is None


def test_parse_max_km() -> None:
    parsed = parse_max_km(["50", "material=300", "Steam=5", "10 01=80", "eau=7,5"[4:]])
    assert parsed == {"*": 7.5, "material": 300.0, "steam": 5.0, "10 01": 80.0}
    assert parse_max_km(["water=12.5", "1001=3"]) == {"water": 12.5, "10 01": 3.0}


@pytest.mark.parametrize("value", ["-5", "0", "abc", "steam=", "steem=5", "material=x", "=4"])
def test_parse_max_km_refuses_bad_values(value: str) -> None:
    with pytest.raises(ValueError, match=f"« {value} »"):
        parse_max_km([value])


def test_parse_max_km_reports_every_bad_value() -> None:
    with pytest.raises(ValueError, match=r"(?s)« x ».*« steem=5 »"):
        parse_max_km(["x", "steam=5", "steem=5"])
