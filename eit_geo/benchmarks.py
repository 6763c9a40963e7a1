"""Reference cases (``data/cases.csv``) and how a zone compares with them.

Kalundborg, Dunkerque (ECOPAL, DK6) and the other documented cases, each figure with its
reference year, status (``published`` or ``to_confirm``) and source. A zone is compared in
absolute terms, per partner company and per employee (where the headcount is known).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from eit_geo.datafiles import read_table
from eit_geo.formatting import format_figure, format_year, sources_in
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import UNIT_KEYS, numbers

if TYPE_CHECKING:
    from eit_geo.indicators import Scenario
    from eit_geo.zone import Zone

__all__ = [
    "BASES",
    "CASE_FIGURES",
    "benchmark_table",
    "comparison_table",
    "published_comparison",
    "read_cases",
]

BASES: tuple[str, ...] = ("absolute", "per_partner", "per_employee")
CASE_FIGURES: tuple[str, ...] = (
    "co2_avoided_t",
    "water_saved_m3",
    "tonnes_diverted",
    "energy_recovered_mwh",
)


def read_cases() -> pd.DataFrame:
    """Return ``data/cases.csv``, figures as floats (NaN where the case publishes none)."""
    table = read_table("cases.csv").copy()
    for column in ("since", "partners", "employees", *CASE_FIGURES, "money_saved"):
        table[column] = numbers(table[column])
    table["reference_year"] = numbers(table["reference_year"])
    return table


def benchmark_table(
    scenario: Scenario,
    zone: Zone,
    cases: pd.DataFrame | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    title: str | None = None,
) -> pd.DataFrame:
    """Return the zone and the reference cases side by side, in long form.

    Per indicator of `CASE_FIGURES` and basis of `BASES`: the absolute yearly figure, per
    partner company, per employee. The zone's partners are the companies in its exchanges; its
    headcount is their sum, only when every one of them gives it (else no per-employee value).
    ``title`` names the zone as the dashboard shows it (``zone.name`` by default).

    Returns
    -------
    pandas.DataFrame
        ``case_id``, ``label``, ``is_zone``, ``indicator``, ``basis``, ``value``,
        ``estimate``, ``reference_year``, ``status``, ``source``; rows without a value dropped.
    """
    cases = read_cases() if cases is None else cases
    partners = scenario.partners
    headcount = zone.companies.set_index("id")["employees"].reindex(partners)
    employees = float(headcount.sum()) if partners and headcount.notna().all() else math.nan
    zone_row: dict[str, Any] = {
        "case_id": "zone",
        "label": t("indicators.zone_label", lang, zone=title or zone.name),
        "is_zone": True,
        "partners": float(len(partners)) or math.nan,
        "employees": employees,
        "reference_year": math.nan,
        "status": "computed",
        "source": t("indicators.zone_source", lang),
        **{f: scenario.totals[f] for f in CASE_FIGURES},
        **{f"{f}_estimate": scenario.estimated[f] for f in CASE_FIGURES},
    }
    rows = [zone_row]
    for case in records(cases):
        to_confirm = case["status"] != "published"
        rows.append(
            {
                **case,
                "label": case.get(f"case_{lang}") or case["case_fr"],
                "source": case.get(f"source_{lang}") or case["source"],
                "is_zone": False,
                **{f"{f}_estimate": to_confirm for f in CASE_FIGURES},
            }
        )
    entries = []
    for row in rows:
        for figure in CASE_FIGURES:
            absolute = row.get(figure)
            absolute = math.nan if absolute is None else float(absolute)
            divisors = {"absolute": 1.0, "per_partner": row["partners"]}
            divisors["per_employee"] = row["employees"]
            for basis, divisor in divisors.items():
                value = absolute / divisor if divisor and not math.isnan(divisor) else math.nan
                entries.append(
                    {
                        "case_id": row["case_id"],
                        "label": row["label"],
                        "is_zone": row["is_zone"],
                        "indicator": figure,
                        "basis": basis,
                        "value": value,
                        "estimate": bool(row[f"{figure}_estimate"]),
                        "reference_year": row["reference_year"],
                        "status": row["status"],
                        "source": row["source"],
                    }
                )
    table = pd.DataFrame.from_records(entries)
    return table.dropna(subset=["value"]).reset_index(drop=True)


def published_comparison(
    scenario: Scenario, example: str, cases: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Return the zone's computed figures next to those published for the same place.

    Parameters
    ----------
    scenario
        Usually the ``existing`` scenario of the zone.
    example
        The ``example`` of ``data/cases.csv`` the zone is (e.g. ``kalundborg``).
    cases
        The cases table (`read_cases` when None).

    Returns
    -------
    pandas.DataFrame
        One row per published figure: ``indicator``, ``computed``, ``computed_estimate``,
        ``published``, ``case_id``, ``case_fr``, ``case_en``, ``reference_year``, ``status``,
        ``source``. Empty when no case is that example.
    """
    cases = read_cases() if cases is None else cases
    rows = cases[cases["example"] == example]
    records = [
        {
            "indicator": figure,
            "computed": scenario.totals[figure],
            "computed_estimate": scenario.estimated[figure],
            "published": case[figure],
            "case_id": case["case_id"],
            "case_fr": case["case_fr"],
            "case_en": case["case_en"],
            "reference_year": case["reference_year"],
            "status": case["status"],
            "source": case["source"],
            "source_en": case.get("source_en"),
        }
        for figure in CASE_FIGURES
        for case in rows.to_dict("records")
        if not math.isnan(case[figure])
    ]
    return pd.DataFrame.from_records(
        records,
        columns=[
            "indicator",
            "computed",
            "computed_estimate",
            "published",
            "case_id",
            "case_fr",
            "case_en",
            "reference_year",
            "status",
            "source",
            "source_en",
        ],
    )


def comparison_table(comparison: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return `published_comparison` for display: figures formatted, headers translated.

    The computed figure reads ``≈ …`` when it is an estimate; a published figure to be confirmed
    too, with its status spelled out.
    """
    unit = {figure: t(key, lang) for figure, key in UNIT_KEYS.items() if figure in CASE_FIGURES}
    return pd.DataFrame(
        {
            t("indicators.indicator", lang): [
                f"{t(f'indicators.{figure}', lang)} ({unit[figure]})"
                for figure in comparison["indicator"]
            ],
            t("indicators.col_computed", lang): [
                format_figure(value, lang, estimate=bool(estimate))
                for value, estimate in zip(
                    comparison["computed"], comparison["computed_estimate"], strict=True
                )
            ],
            t("indicators.col_published", lang): [
                format_figure(value, lang, estimate=status != "published")
                for value, status in zip(comparison["published"], comparison["status"], strict=True)
            ],
            t("indicators.col_case", lang): comparison[f"case_{lang}"],
            t("indicators.col_year", lang): [
                format_year(year) for year in comparison["reference_year"]
            ],
            t("indicators.col_status", lang): comparison["status"].map(
                lambda status: t(f"indicators.status_{status}", lang)
            ),
            t("indicators.col_source", lang): sources_in(comparison, lang),
        }
    )
