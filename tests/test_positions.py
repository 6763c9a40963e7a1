"""Tests of eit_geo.positions: angles in any writing, projected coordinates, swapped columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from eit_geo.positions import (
    guess_crs,
    locate_degrees,
    locate_xy,
    parse_crs,
    parse_degrees,
    split_lat_lon,
)

# Three real places: Dunkirk harbour, Lyon (Part-Dieu), Fos-sur-Mer.
PLACES = pd.DataFrame(
    {"lat": [51.0343, 45.7606, 43.4380], "lon": [2.3768, 4.8593, 4.9450]}, index=[2, 3, 4]
)
TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
METRE_IN_DEGREES = 1 / 111_000


def lambert(places: pd.DataFrame = PLACES) -> tuple[pd.Series, pd.Series]:
    x, y = TO_L93.transform(places["lon"].to_numpy(), places["lat"].to_numpy())
    return pd.Series(x, index=places.index), pd.Series(y, index=places.index)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45.75", 45.75),
        ("45,75", 45.75),
        ("45.75°", 45.75),
        ("45°45'", 45.75),
        ("45° 45' 0\" N", 45.75),
        ("45°45’00’’N", 45.75),
        ("N 45 45.0", 45.75),
        ("48°51'24\"N", 48 + 51 / 60 + 24 / 3600),
        ("4°50'O", -(4 + 50 / 60)),
        ("W 1.5", -1.5),
        ("1,5 W", -1.5),
        ("S 21°06'", -(21 + 6 / 60)),
        ("-0,5", -0.5),
        ("−0,5", -0.5),
    ],
)
def test_angles_in_any_writing(text: str, expected: float) -> None:
    assert parse_degrees(pd.Series([text])).iloc[0] == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "abc", "4,12346E+13", "45 60", "N 45 S", "45.5°30'", "1-2"])
def test_what_is_not_an_angle(text: str) -> None:
    assert np.isnan(parse_degrees(pd.Series([text])).iloc[0])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45.75, 4.85", (45.75, 4.85)),
        ("45,75 ; 4,85", (45.75, 4.85)),
        ("45,1234, 4,5678", (45.1234, 4.5678)),
        ("(48.1 -1.6)", (48.1, -1.6)),
        ("45°45'N 4°51'E", (45.75, 4.85)),
        ("45°45'N, 4°51'O", (45.75, -4.85)),
        ("N 51.02 E 2.30", (51.02, 2.30)),  # hemispheres first, as a GPS receiver shows them
        ("N51°01.2' W2°18.0'", (51.02, -2.30)),
    ],
)
def test_one_column_with_both_angles(text: str, expected: tuple[float, float]) -> None:
    first, second = split_lat_lon(pd.Series([text]))
    assert (first.iloc[0], second.iloc[0]) == pytest.approx(expected)


def test_a_long_cell_holds_no_position_and_is_read_at_once() -> None:
    # hostile: Excel's longest cell, shaped to make the hemisphere patterns backtrack (this
    # took hours before the length bound); the longest real writing still reads
    hostile = "N" + " " * 32_700 + "x"
    longest = "45°45'30.1234\"N, 004°51'12.4567\"W"
    first, second = split_lat_lon(pd.Series([hostile, longest]))
    assert np.isnan(first.iloc[0])
    assert np.isnan(second.iloc[0])
    expected = (45 + 45 / 60 + 30.1234 / 3600, -(4 + 51 / 60 + 12.4567 / 3600))
    assert (first.iloc[1], second.iloc[1]) == pytest.approx(expected)


def test_lambert93_is_recognised_and_converted_to_a_metre() -> None:
    x, y = lambert()
    text_x = x.map(lambda v: f"{v:_.2f}".replace("_", " ").replace(".", ","))  # 652 345,20
    located = locate_xy(text_x, y.astype(str))
    assert (located.crs, located.crs_guessed, located.axes_swapped) == ("EPSG:2154", True, False)
    assert np.allclose(located.lat, PLACES["lat"], atol=METRE_IN_DEGREES)
    assert np.allclose(located.lon, PLACES["lon"], atol=METRE_IN_DEGREES)
    assert list(located.lat.index) == [2, 3, 4]


def test_swapped_x_and_y_are_put_back() -> None:
    x, y = lambert()
    located = locate_xy(y, x)
    assert (located.crs, located.axes_swapped) == ("EPSG:2154", True)
    assert np.allclose(located.lat, PLACES["lat"], atol=METRE_IN_DEGREES)


def test_values_fitting_no_known_crs_are_not_guessed() -> None:
    x = pd.Series([3_000_000.0, 3_100_000.0])
    y = pd.Series([9_000_000.0, 9_100_000.0])
    assert guess_crs(x, y) is None
    located = locate_xy(x, y)
    assert located.crs is None
    assert located.missing.all()
    assert located.unreadable == [0, 1]


def test_a_given_crs_and_a_crs_per_row() -> None:
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32631", always_xy=True)
    x, y = utm.transform(PLACES["lon"].to_numpy(), PLACES["lat"].to_numpy())
    located = locate_xy(pd.Series(x), pd.Series(y), crs="EPSG:32631")
    assert np.allclose(located.lat, PLACES["lat"], atol=METRE_IN_DEGREES)
    l93_x, l93_y = lambert()
    mixed_x = pd.Series([x[0], l93_x.iloc[1]])
    mixed_y = pd.Series([y[0], l93_y.iloc[1]])
    located = locate_xy(mixed_x, mixed_y, epsg=pd.Series(["32631", "2154"]))
    assert np.allclose(located.lat, PLACES["lat"].iloc[:2], atol=METRE_IN_DEGREES)


def test_a_whole_table_of_swapped_angles_is_put_back() -> None:
    located = locate_degrees(PLACES["lon"], PLACES["lat"])  # France in the Indian Ocean
    assert located.axes_swapped
    assert list(located.lat) == list(PLACES["lat"])
    assert list(located.lon) == list(PLACES["lon"])


def test_one_swapped_row_among_right_ones() -> None:
    lat = PLACES["lat"].copy()
    lon = PLACES["lon"].copy()
    lat[3], lon[3] = lon[3], lat[3]
    located = locate_degrees(lat, lon)
    assert not located.axes_swapped
    assert located.rows_swapped == [3]
    assert list(located.lat) == list(PLACES["lat"])


def test_right_angles_and_out_of_range_ones() -> None:
    lat = pd.Series([51.0343, 95.0, np.nan])
    lon = pd.Series([2.3768, 4.0, 4.0])
    located = locate_degrees(lat, lon)
    assert not located.axes_swapped
    assert located.rows_swapped == []
    assert located.unreadable == [1]
    assert located.missing.tolist() == [False, True, True]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2154", "EPSG:2154"), ("epsg:2154", "EPSG:2154"), ("EPSG 2975", "EPSG:2975"),
     ("2154.0", "EPSG:2154"), ("", None), ("Lambert", None), ("nan", None)],
)  # fmt: skip
def test_crs_written_many_ways(value: str, expected: str | None) -> None:
    assert parse_crs(value) == expected
