"""Numbers, units and dates as people read them, in French and in English."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from eit_geo import formatting as fmt
from eit_geo.settings import DEFAULT_TIMEZONE, TIMEZONE_ENV

NNBSP = "\u202f"  # narrow no-break space: the French thousands separator


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        (8.0, "8", "8"),
        (2, "2", "2"),
        (1025.0, f"1{NNBSP}025", "1,025"),
        (1_500_000, f"1{NNBSP}500{NNBSP}000", "1,500,000"),
        (0, "0", "0"),
        (None, "—", "—"),
        (math.nan, "—", "—"),
        (pd.NA, "—", "—"),
    ],
)
def test_counts_are_whole_numbers(value, fr, en):
    assert fmt.format_count(value, "fr") == fr
    assert fmt.format_count(value, "en") == en


@pytest.mark.parametrize(
    ("value", "decimals", "fr", "en"),
    [
        (1500.0, 2, f"1{NNBSP}500,00", "1,500.00"),
        (2.64, 1, "2,6", "2.6"),
        (-3.46, 1, "-3,5", "-3.5"),
        (-0.0004, 3, "0,000", "0.000"),
        (-0.0, 0, "0", "0"),
        (0.00049, 3, "0,000", "0.000"),
    ],
)
def test_decimals_in_each_language_and_no_signed_zero(value, decimals, fr, en):
    assert fmt.format_decimal(value, "fr", decimals=decimals) == fr
    assert fmt.format_decimal(value, "en", decimals=decimals) == en


@pytest.mark.parametrize(
    ("value", "estimate", "fr", "en"),
    [
        (635000.0, False, f"635{NNBSP}000", "635,000"),
        (12.4, False, "12", "12"),
        (2.64, False, "2,6", "2.6"),
        (0.239, False, "0,239", "0.239"),
        (-0.129, False, "-0,129", "-0.129"),
        (-0.0001, False, "0", "0"),
        (0.0, False, "0", "0"),
        (12_345.6, True, f"≈ 12{NNBSP}300", "≈ 12,300"),
        (0.0, True, "0", "0"),
        (-0.0002, True, "0", "0"),
        (None, True, "—", "—"),
    ],
)
def test_figures_of_the_indicators(value, estimate, fr, en):
    assert fmt.format_figure(value, "fr", estimate=estimate) == fr
    assert fmt.format_figure(value, "en", estimate=estimate) == en


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        (1200.0, f"+1{NNBSP}200", "+1,200"),
        (-3.46, "-3,5", "-3.5"),
        (0.0, "0", "0"),
        (-0.0004, "0", "0"),
        (0.0004, "0", "0"),
    ],
)
def test_changes_are_signed_but_never_a_zero(value, fr, en):
    assert fmt.format_signed(value, "fr") == fr
    assert fmt.format_signed(value, "en") == en


def test_estimated_changes_read_as_estimates():
    assert fmt.format_signed(12_345.0, "fr", estimate=True) == f"≈ +12{NNBSP}300"
    assert fmt.format_signed(-0.0834, "en", estimate=True) == "≈ -0.083"
    assert fmt.format_headline(1_040_000.0, "fr", signed=True, estimate=True) == "≈ +1\u00a0M"
    assert fmt.format_headline(480.0, "en", signed=True, estimate=True) == "≈ +480"
    assert fmt.format_headline(480.0, "en", signed=True) == "+480"


def test_millions_read_as_millions_in_english_too():
    # not « 2.7m » (en_GB), which reads as metres under « Water saved (m³/yr) »
    assert fmt.format_headline(2_700_000.0, "en", estimate=True) == "≈ 2.7M"
    assert fmt.format_headline(1_040_000.0, "en", signed=True) == "+1M"
    assert fmt.format_headline(2_700_000.0, "fr") == "2,7\u00a0M"


def test_a_label_and_its_value_are_joined_as_each_language_writes_it():
    assert fmt.colon("fr") == " : "
    assert fmt.colon("en") == ": "


def test_negative_changes_start_with_the_minus_streamlit_reads():
    # st.metric shows a fall (red, down) only for a delta starting with "-"
    assert fmt.format_signed(-12.0, "fr").startswith("-")
    assert fmt.format_signed(-12.0, "en").startswith("-")


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        ("0.239", "0,239", "0.239"),
        (0.0417, "0,0417", "0.0417"),
        (3600.0, f"3{NNBSP}600", "3,600"),
        (900, "900", "900"),
        ("", "—", "—"),
    ],
)
def test_exact_values_keep_every_digit_of_the_source(value, fr, en):
    value = math.nan if value == "" else float(value)
    assert fmt.format_exact(value, "fr") == fr
    assert fmt.format_exact(value, "en") == en


@pytest.mark.parametrize(
    ("value", "unit", "fr", "en"),
    [
        (8000.0, "t/yr", f"8{NNBSP}000 t/an", "8,000 t/yr"),
        (1500.25, "m3/yr", f"1{NNBSP}500,25 m³/an", "1,500.25 m³/yr"),
        (0.5, "MWh/yr", "0,5 MWh/an", "0.5 MWh/yr"),
    ],
)
def test_quantities_with_units_in_the_users_language(value, unit, fr, en):
    assert fmt.format_quantity(value, unit, "fr") == fr
    assert fmt.format_quantity(value, unit, "en") == en


def test_scores_distances_and_years():
    assert fmt.format_score(0.8, "fr") == "0,80"
    assert fmt.format_score(0.8, "en") == "0.80"
    assert fmt.format_km(2.64, "fr") == "2,6 km"
    assert fmt.format_km(168.4, "en") == "168 km"
    assert fmt.format_km(None, "fr") == "sans limite"
    assert fmt.format_year(2018.0) == "2018"
    assert fmt.format_year(math.nan) == "—"


def test_aligned_numbers_sort_as_text_in_numeric_order():
    values = [2.64, 10.5, 0.4, 168.0, 1250.0, None]
    texts = fmt.aligned_numbers(values, "fr", decimals=1)
    assert texts[0].strip(fmt.PAD) == "2,6"
    assert texts[-1] == ""
    shown = [text for text in texts if text]
    assert len({len(text) for text in shown}) == 1
    # spaces sort before digits, by code point as in the browser's collation
    order = sorted(range(len(shown)), key=lambda i: shown[i])
    assert [values[i] for i in order] == [0.4, 2.64, 10.5, 168.0, 1250.0]


def test_plotly_separators():
    assert fmt.plotly_separators("fr") == f",{NNBSP}"
    assert fmt.plotly_separators("en") == ".,"


@pytest.mark.parametrize(
    ("moment", "fr", "en"),
    [
        # winter: UTC+1
        (datetime(2026, 1, 15, 9, 30, tzinfo=UTC), "15 janv. 2026, 10:30", "15 Jan 2026, 10:30"),
        # summer: UTC+2
        (datetime(2026, 7, 4, 15, 5, tzinfo=UTC), "4 juil. 2026, 17:05", "4 Jul 2026, 17:05"),
        # the night the clocks go forward (29 March 2026, 02:00 → 03:00 in Paris)
        ("2026-03-29T00:59:00Z", "29 mars 2026, 01:59", "29 Mar 2026, 01:59"),
        ("2026-03-29T01:00:00Z", "29 mars 2026, 03:00", "29 Mar 2026, 03:00"),
        # a naive stored moment is UTC
        (pd.Timestamp("2026-10-25 01:30"), "25 oct. 2026, 02:30", "25 Oct 2026, 02:30"),
        (None, "—", "—"),
        (pd.NaT, "—", "—"),
    ],
)
def test_dates_in_paris_time_with_daylight_saving(monkeypatch, moment, fr, en):
    monkeypatch.delenv(TIMEZONE_ENV, raising=False)
    assert fmt.format_datetime(moment, "fr") == fr
    assert fmt.format_datetime(moment, "en") == en
    assert "UTC" not in fmt.format_datetime(moment, "fr")


def test_time_zone_is_one_setting(monkeypatch):
    moment = datetime(2026, 7, 4, 15, 5, tzinfo=UTC)
    monkeypatch.setenv(TIMEZONE_ENV, "America/Cayenne")
    assert fmt.format_datetime(moment, "fr") == "4 juil. 2026, 12:05"
    assert fmt.timezone().key == "America/Cayenne"
    monkeypatch.setenv(TIMEZONE_ENV, "Mars/Olympus")
    with pytest.warns(UserWarning, match="EIT_GEO_TIMEZONE"):
        assert fmt.timezone().key == DEFAULT_TIMEZONE


def test_dates_of_a_report():
    assert fmt.format_date(date(2026, 12, 4), "fr", style="long") == "4 décembre 2026"
    assert fmt.format_date(date(2026, 12, 4), "en", style="long") == "4 December 2026"
    # 23:30 UTC on 31 December is already the new year in Paris
    assert fmt.format_date("2026-12-31T23:30Z", "fr") == "1 janv. 2027"
    assert fmt.local_time(None) is None


def test_hour_of_a_unix_time_in_local_time():
    summer = datetime(2026, 7, 4, 15, 5, tzinfo=UTC).timestamp()
    assert fmt.format_time(summer, "fr") == "17:05"
    assert fmt.format_time(summer, "en") == "17:05"
    assert fmt.format_time(None, "fr") == "—"
