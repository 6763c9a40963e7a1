"""Indicators of a synergy scenario: tonnes diverted, water saved, energy recovered, CO2 avoided.

Each exchange (an existing synergy, or a candidate with its allocated quantity ``q``) is valued
with three rows of ``data/avoided.csv``, found on the code, then its EWC sub-chapter and
chapter, then its family:

- ``replaced``, on the receiver's input code and the conversion: what the receiver stops
  buying (virgin material, fossil heat, fresh water);
- ``disposal``, on the supplier's output code: the landfill the waste no longer goes to;
- ``transport``, on the output code: road freight for materials over the link's straight-line
  length ``d``; pipes (water, energy, gas) add none.

``co2_avoided_t = q × replaced + q × disposal − q × d × transport``, each term a formula over
``data/factors.csv`` converted to t CO2e per unit (``data/factor_units.csv``). A factor without
a value leaves its term out and is named in ``missing_factors``: never a silent zero. Figures
resting on an estimated quantity or a ``to_confirm`` factor are flagged as estimates.

The package, one module per job: `reference` (indicator names and units, the data files),
`exchanges` (synergies and candidates as exchanges), `valuation` (each exchange valued),
`scenarios` (existing, selected, optimal, realised), `breakdowns` (by family, company, year),
`display` (cards, tables, texts) and `factor_tables` (the tables shown and edited).
"""

from __future__ import annotations

from eit_geo.indicators.breakdowns import (
    by_company,
    by_family,
    network_growth,
)
from eit_geo.indicators.display import (
    indicator_table,
    kpi_cards,
    missing_factor_lines,
    missing_factor_names,
    partial_co2_note,
    summary_text,
)
from eit_geo.indicators.exchanges import (
    exchanges_from_candidates,
    exchanges_from_synergies,
)
from eit_geo.indicators.factor_tables import (
    avoided_table,
    factor_editor_table,
    factor_table,
    price_template,
)
from eit_geo.indicators.reference import (
    AMOUNTS,
    EXCHANGE_COLUMNS,
    INDICATORS,
    PRICE_COLUMNS,
    REALISED,
    SCENARIOS,
    UNIT_KEYS,
    numbers,
    read_avoided,
    read_factor_units,
    read_factors,
    read_user_table,
)
from eit_geo.indicators.scenarios import (
    Scenario,
    build_scenario,
    candidate_scenario,
    existing_scenario,
    optimal_scenario,
    realised_scenario,
    selected_scenario,
)
from eit_geo.indicators.valuation import (
    co2_per_unit,
    compute_exchanges,
)

__all__ = [
    "AMOUNTS",
    "EXCHANGE_COLUMNS",
    "INDICATORS",
    "PRICE_COLUMNS",
    "REALISED",
    "SCENARIOS",
    "UNIT_KEYS",
    "Scenario",
    "avoided_table",
    "build_scenario",
    "by_company",
    "by_family",
    "candidate_scenario",
    "co2_per_unit",
    "compute_exchanges",
    "exchanges_from_candidates",
    "exchanges_from_synergies",
    "existing_scenario",
    "factor_editor_table",
    "factor_table",
    "indicator_table",
    "kpi_cards",
    "missing_factor_lines",
    "missing_factor_names",
    "network_growth",
    "numbers",
    "optimal_scenario",
    "partial_co2_note",
    "price_template",
    "read_avoided",
    "read_factor_units",
    "read_factors",
    "read_user_table",
    "realised_scenario",
    "selected_scenario",
    "summary_text",
]
