"""The indicators in words: cards, tables, missing factors and the command's text.

Figures are written by `eit_geo.formatting` only; texts come from the i18n files.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.codes import resource_label
from eit_geo.formatting import format_figure, format_signed
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.indicators.reference import INDICATORS, ROLES, UNIT_KEYS, read_factors
from eit_geo.indicators.scenarios import missing_keys

if TYPE_CHECKING:
    from eit_geo.indicators.scenarios import Scenario


__all__ = [
    "indicator_table",
    "kpi_cards",
    "missing_factor_lines",
    "missing_factor_names",
    "partial_co2_note",
    "summary_text",
]


def kpi_cards(
    scenario: Scenario, lang: str = DEFAULT_LANGUAGE, *, baseline: Scenario | None = None
) -> list[dict[str, str]]:
    """Return one card per indicator: ``key``, ``label``, ``value``, ``unit``, ``help``.

    ``delta`` (against ``baseline``, e.g. the existing synergies) is added when given.
    Estimates read ``≈ …`` and their help says why; a CO2 total with missing factors says it is
    incomplete. ``money_saved_eur`` appears only when prices were given.
    """
    cards = []
    for indicator in INDICATORS:
        total = scenario.totals[indicator]
        if indicator == "money_saved_eur" and total is None:
            continue
        estimate = scenario.estimated[indicator]
        helps = [t(f"indicators.help_{indicator}", lang)]
        if estimate:
            helps.append(t("indicators.help_estimate", lang))
        if indicator == "co2_avoided_t" and scenario.missing_factors:
            helps.append(t("indicators.help_incomplete", lang))
        card = {
            "key": indicator,
            "label": t(f"indicators.{indicator}", lang),
            "value": format_figure(total, lang, estimate=estimate),
            "unit": t(UNIT_KEYS[indicator], lang),
            "help": " ".join(helps),
        }
        if baseline is not None and baseline.totals[indicator] is not None and total is not None:
            gain = total - float(baseline.totals[indicator] or 0.0)
            card["delta"] = format_signed(gain, lang)
        if indicator == "co2_avoided_t" and scenario.missing_factors:
            card["note"] = partial_co2_note(scenario, lang)
        cards.append(card)
    return cards


def partial_co2_note(scenario: Scenario, lang: str = DEFAULT_LANGUAGE) -> str:
    """Say what a CO2 total with missing factors counts, what it leaves out, and why.

    A total that comes out negative (only the transport counted) says so in words, so that
    « ≈ -0,129 » is never read as an exchange that harms the climate.
    """
    total = scenario.totals["co2_avoided_t"] or 0.0
    transport = scenario.totals["transport_co2_t"] or 0.0
    values = {
        "missing": ", ".join(missing_factor_names(scenario.missing_factors, lang=lang)),
        "transport": format_figure(transport, lang),
        "unit": t(UNIT_KEYS["transport_co2_t"], lang),
    }
    key = "indicators.partial_co2_negative" if total < 0 else "indicators.partial_co2"
    return t(key, lang, **values)


def indicator_table(table: pd.DataFrame, lang: str = DEFAULT_LANGUAGE) -> pd.DataFrame:
    """Return a `by_family` or `by_company` table for display: formatted, headers translated.

    Estimated figures read ``≈ …``; families are translated; money appears when priced.
    """
    shown = pd.DataFrame(index=table.index)
    if "family" in table:
        shown[t("indicators.col_family", lang)] = table["family"].map(
            lambda family: t(f"families.{family}", lang)
        )
    if "name" in table:
        shown[t("indicators.col_company", lang)] = table["name"]
    shown[t("indicators.n_synergies", lang)] = table["n_synergies"]
    for indicator in INDICATORS:
        if indicator == "money_saved_eur" and table[indicator].isna().all():
            continue
        header = f"{t(f'indicators.{indicator}', lang)} ({t(UNIT_KEYS[indicator], lang)})"
        shown[header] = [
            format_figure(value, lang, estimate=bool(flag))
            for value, flag in zip(table[indicator], table[f"{indicator}_estimate"], strict=True)
        ]
    shown[t("indicators.missing_factors", lang)] = [
        "; ".join(missing_factor_names(missing_keys([cell]), lang=lang))
        for cell in table["missing_factors"]
    ]
    return shown.reset_index(drop=True)


def missing_factor_lines(
    scenario: Scenario, factors: pd.DataFrame | None = None, lang: str = DEFAULT_LANGUAGE
) -> list[str]:
    """Return one sentence per missing factor: its description, or the calculation missing.

    No key is shown: a factor reads as its description in ``lang`` (« Mise en décharge de
    déchets industriels non dangereux (DAE) : … »), an absent rule as what it would value
    (« élimination évitée chez le fournisseur : Cendres volantes »).
    """
    return missing_factor_names(scenario.missing_factors, factors, lang, short=False)


def missing_factor_names(
    keys: Iterable[str],
    factors: pd.DataFrame | None = None,
    lang: str = DEFAULT_LANGUAGE,
    *,
    short: bool = True,
) -> list[str]:
    """Return what each missing factor or rule is, in words (``short``: up to the first colon).

    ``keys`` are those of ``Scenario.missing_factors`` or of a ``missing_factors`` cell.
    """
    table = read_factors() if factors is None else factors
    column = f"description_{lang}" if f"description_{lang}" in table else "description_fr"
    if column not in table:
        column = "description" if "description" in table else "key"
    descriptions = dict(zip(table["key"], table[column], strict=True))
    fallback = read_factors().set_index("key")[f"description_{lang}"].to_dict()
    names = []
    for key in keys:
        text = descriptions.get(key) or fallback.get(key) or _missing_rule_text(key, lang)
        names.append(_short(str(text)) if short else str(text))
    return names


def _missing_rule_text(label: str, lang: str) -> str:
    """Return an absent rule (``role:code/conversion (unit)``, see `_term`) in words."""
    role, _, rest = label.partition(":")
    code = rest.split(" (", 1)[0].split("/", 1)[0]
    role_text = t(f"indicators.role_{role}", lang) if role in ROLES else role
    return t("indicators.missing_rule", lang, role=role_text, resource=resource_label(code, lang))


def _short(description: str) -> str:
    """Return a description up to its first explanation (« X : … », « X. … », « X — … »)."""
    for mark in (" : ", ": ", ". ", " — "):
        description = description.split(mark, 1)[0]
    return description.strip()


def summary_text(
    scenarios: Iterable[Scenario], zone_name: str, lang: str = DEFAULT_LANGUAGE
) -> str:
    """Return the scenarios' indicators as plain text (the ``indicators`` command's output)."""
    lines = [t("indicators.cli_title", lang, zone=zone_name)]
    colon = " : " if lang == "fr" else ": "
    for scenario in scenarios:
        lines.append("")
        lines.append(
            t(
                "indicators.cli_scenario",
                lang,
                scenario=t(f"indicators.scenario_{scenario.name}", lang),
                synergies=scenario.n_synergies,
                partners=len(scenario.partners),
            )
        )
        for card in kpi_cards(scenario, lang):
            lines.append(f"  {card['label']}{colon}{card['value']} {card['unit']}")
            if card.get("note"):
                lines.append(f"    {card['note']}")
        missing = t("indicators.missing_factors", lang)
        lines.extend(
            f"  {missing}{colon}{line}" for line in missing_factor_lines(scenario, lang=lang)
        )
    lines.extend(["", t("indicators.estimate_note", lang)])
    return "\n".join(lines)
