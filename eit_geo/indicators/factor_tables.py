"""The reference tables shown and edited on the Indicateurs page: factors, prices, rules.

Factors with their description and use, an editable copy of them, a price template per code of
the zone, and ``data/avoided.csv`` in words with the factors' values in its formulas.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from eit_geo._formula import formula_keys
from eit_geo.codes import FAMILIES, resource_label
from eit_geo.formatting import format_exact, sources_in
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators.reference import PRICE_COLUMNS, read_avoided, read_factors
from eit_geo.indicators.valuation import factor_uses

if TYPE_CHECKING:
    from eit_geo.indicators.scenarios import Scenario
    from eit_geo.zone import Zone


__all__ = [
    "avoided_table",
    "factor_editor_table",
    "factor_table",
    "price_template",
]


def factor_table(
    factors: pd.DataFrame, scenario: Scenario | None = None, lang: str = DEFAULT_LANGUAGE
) -> pd.DataFrame:
    """Return the factors with their description in ``lang`` and, if given, whether used.

    Columns ``key``, ``description``, ``value``, ``unit``, ``source``, ``year``, ``status`` and
    ``used`` (how many exchanges of the scenario rest on the factor).
    """
    table = factors.copy()
    table["description"] = table.get(f"description_{lang}", table["description_fr"])
    table = table[["key", "description", "value", "unit", "source", "year", "status"]]
    if scenario is not None:
        used = factor_uses(scenario.exchanges)
        table["used"] = table["key"].map(used).fillna(0).astype(int)
    return table


def factor_editor_table(lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return the shipped factors, as a copy to edit (the file is left alone).

    Columns ``key``, ``description`` (in ``lang``), ``value``, ``unit``, ``source``, ``year``,
    ``status``.
    """
    table = read_factors()
    table["description"] = table[f"description_{lang}"]
    table["source"] = sources_in(table, lang)  # the document, not our notes' file
    return table[["key", "description", "value", "unit", "source", "year", "status"]]


def price_template(zone: Zone) -> pd.DataFrame:
    """Return an empty price table with one row per resource code of the zone's flows.

    Columns ``code``, ``purchase_eur_per_unit``, ``disposal_eur_per_unit`` (NaN: not given).
    """
    codes = sorted(set(zone.flows["resource"].astype(str)))
    return pd.DataFrame(
        {"code": codes, **{column: [math.nan] * len(codes) for column in PRICE_COLUMNS}}
    )


def avoided_table(lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return ``data/avoided.csv`` for display: resource, role, what it replaces, formula, source.

    Resources and conversions read as words; the formula shows the factors' values (« 0,239 /
    ≈ 0,9 », « ≈ » for a factor to be confirmed), a missing one as « ? »; sources name
    documents, not our files.
    """
    avoided = read_avoided()
    factors = read_factors()
    rough = factors["status"].astype("string").fillna("").str.strip().ne("sourced")
    values = {
        key: (value, bool(estimate))
        for key, value, estimate in zip(factors["key"], factors["value"], rough, strict=True)
    }
    return pd.DataFrame(
        {
            t("indicators.col_code", lang): avoided["code"].map(
                lambda code: _code_text(str(code), lang)
            ),
            t("indicators.col_role", lang): avoided["role"].map(
                lambda role: t(f"indicators.role_{role}", lang)
            ),
            t("indicators.col_conversion", lang): avoided["conversion"].map(
                lambda how: t(f"map.conversion_{how}", lang) if isinstance(how, str) and how else ""
            ),
            t("indicators.col_what", lang): avoided[f"what_{lang}"],
            t("indicators.col_formula", lang): avoided["co2_formula"].map(
                lambda formula: _formula_text(formula, values, lang)
            ),
            t("indicators.col_counts_as", lang): avoided["counts_as"].map(
                lambda key: t(f"indicators.{key}", lang) if key else ""
            ),
            t("indicators.col_source", lang): sources_in(avoided, lang),
        }
    )


def _code_text(code: str, lang: str) -> str:
    """Return a rule's code in words: a resource, an EWC chapter or a family."""
    if code in FAMILIES:
        return t(f"families.{code}", lang)
    return resource_label(code, lang)


def _formula_text(formula: object, values: dict[str, tuple[float, bool]], lang: str) -> str:
    """Return a formula over factor keys with the factors' values written in their place."""
    if not isinstance(formula, str) or not formula.strip():
        return ""
    text = formula
    for key in sorted(formula_keys(formula), key=len, reverse=True):
        value, estimate = values.get(key, (math.nan, False))
        shown = "?" if math.isnan(value) else format_exact(value, lang)
        text = text.replace(key, f"≈ {shown}" if estimate and shown != "?" else shown)
    return text.replace("*", "×")
