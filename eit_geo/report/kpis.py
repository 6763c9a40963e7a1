"""The report's headline figures: synergies in place and retained, each indicator and its gain.

The same figures feed the report's first page, its key figures and the Présentation page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from eit_geo.analysis import Analysis
from eit_geo.formatting import MISSING, format_count, format_headline, format_signed
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators import kpi_cards

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.indicators import Scenario
    from eit_geo.zone import Zone

__all__ = ["Kpi", "gain_is_estimate", "workshop_kpis"]


@dataclass(frozen=True)
class Kpi:
    """One headline figure of a report or of the presentation mode.

    Attributes
    ----------
    label : what it measures, in the reader's language
    value : the figure, already formatted (« 12 400 »)
    detail : a short note (scenario, comparison or source), may be empty
    unit : the figure's unit (« t/an »), may be empty
    key : what it is (``in_place``, ``retained`` or an indicator of ``indicators.INDICATORS``)
    gain : what the retained leads add to the existing exchanges, signed and short for a
        screen (« +200 », « +1 M »), empty when they change nothing
    headline : the figure short for a screen (« ≈ 2,7 M »), ``value`` when it has none
    """

    label: str
    value: str
    detail: str = ""
    unit: str = ""
    key: str = ""
    gain: str = ""
    headline: str = ""


def workshop_kpis(
    zone: Zone,
    board: pd.DataFrame,
    lang: str = DEFAULT_LANGUAGE,
    *,
    analysis: Analysis | None = None,
) -> list[Kpi]:
    """Return the headline figures of the workshop's selected scenario.

    Synergies retained and in place first, then each indicator of the ``selected`` scenario
    with its gain over the existing exchanges (``indicators.kpi_cards``). ``analysis`` is the
    zone's with this ``board`` (`Analysis.workshop`), made here when None.
    """
    counts = board["decision"].value_counts()
    kpis = [
        Kpi(
            t(f"workshop.kpi_{status}", lang), format_count(counts.get(status, 0), lang), key=status
        )
        for status in ("in_place", "retained")
    ]
    analysis = Analysis(zone, board=board) if analysis is None else analysis
    existing, selected = analysis.existing, analysis.workshop
    for card in kpi_cards(selected, lang, baseline=existing):
        key = card.get("key", "")
        total, before = selected.totals.get(key), existing.totals.get(key)
        headline = format_headline(total, lang, estimate=bool(selected.estimated.get(key)))
        change = None if total is None or before is None else total - before
        rough = gain_is_estimate(selected, existing, key)
        unit = card.get("unit", "")
        delta = "" if "delta" not in card else format_signed(change, lang, estimate=rough)
        detail = ""
        if delta == "0":
            detail = t("workshop.kpi_same", lang)
        elif delta:
            detail = t("workshop.kpi_gain", lang, delta=f"{delta} {unit}".strip())
        if card.get("note"):
            detail = f"{detail} {card['note']}".strip()
        gain = "" if change is None else format_headline(change, lang, signed=True, estimate=rough)
        gain = "" if gain in ("0", MISSING) else gain
        kpis.append(Kpi(card["label"], card["value"], detail, unit, key, gain, headline))
    return kpis


def _exchange_keys(scenario: Scenario) -> pd.Series:
    exchanges = scenario.exchanges
    return exchanges["from_id"] + ">" + exchanges["to_id"] + ":" + exchanges["resource"]


def gain_is_estimate(selected: Scenario, existing: Scenario, indicator: str) -> bool:
    """Tell whether the gain of ``selected`` over ``existing`` on ``indicator`` is an estimate.

    The gain is what the exchanges found in one scenario and not the other (leads retained,
    exchanges stopped) add or take away; it is an estimate when one of those rests on an
    estimated quantity or on a factor « to be confirmed » (the ``<indicator>_estimate`` flag
    of `eit_geo.indicators.compute_exchanges`). An estimated exchange found in both scenarios
    does not make the difference an estimate.
    """
    column = f"{indicator}_estimate"
    selected_keys, existing_keys = _exchange_keys(selected), _exchange_keys(existing)
    changed = [
        scenario.exchanges.loc[~keys.isin(other), column]
        for scenario, keys, other in (
            (selected, selected_keys, existing_keys),
            (existing, existing_keys, selected_keys),
        )
        if column in scenario.exchanges
    ]
    return any(bool(flags.fillna(False).astype(bool).any()) for flags in changed)
