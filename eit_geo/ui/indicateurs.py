"""The Indicateurs page: factor and price editors, the workshop's selection."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from eit_geo import codes, formatting, indicators
from eit_geo.ui.state import KEY_SELECTED_CANDIDATES, tr

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.zone import Zone

KEY_FACTORS = "indicateurs_factors"
KEY_PRICES = "indicateurs_prices"


def selected_candidate_ids() -> tuple[str, ...] | None:
    """Return the candidate ids a workshop selected, in the order retained, or None if none yet."""
    chosen = st.session_state.get(KEY_SELECTED_CANDIDATES)
    return None if chosen is None else tuple(str(ident) for ident in chosen)


def reset_factors() -> None:
    """Drop the session's factor edits: back to the shipped ``data/factors.csv``."""
    st.session_state.pop(KEY_FACTORS, None)


def edit_factors_and_prices(zone: Zone, lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Show the factor and price editors; return the edited copies (the files stay untouched).

    Edits live in the session (``indicateurs_factors``, ``indicateurs_prices``); a button
    restores the shipped factors and another downloads the edited ones as CSV.
    """
    st.caption(tr("indicators.factors_help"))
    st.button(tr("indicators.factors_reset"), on_click=reset_factors)
    units = list(indicators.read_factor_units()["unit"])
    factors = st.data_editor(
        indicators.factor_editor_table(lang),
        key=KEY_FACTORS,
        disabled=["key", "description"],
        hide_index=True,
        # the key stays in the data (the downloaded CSV is read back by key), not on screen
        column_order=["description", "value", "unit", "source", "year", "status"],
        column_config={
            "description": st.column_config.TextColumn(tr("indicators.col_description")),
            "value": st.column_config.NumberColumn(tr("indicators.col_value")),
            "unit": st.column_config.SelectboxColumn(
                tr("indicators.col_unit"),
                options=units,
                format_func=lambda u: formatting.factor_unit(str(u), lang),
            ),
            "source": st.column_config.TextColumn(tr("indicators.col_source")),
            "year": st.column_config.TextColumn(tr("indicators.col_year")),
            "status": st.column_config.SelectboxColumn(
                tr("indicators.col_status"),
                options=["sourced", "to_confirm"],
                format_func=lambda s: tr(f"indicators.status_{s}"),
            ),
        },
        placeholder="",
    )
    st.download_button(
        tr("indicators.factors_download"),
        factors.to_csv(index=False).encode("utf-8"),
        file_name=f"facteurs-{zone.name}.csv",
        mime="text/csv",
    )
    st.subheader(tr("indicators.prices_title"))
    st.caption(tr("indicators.prices_help"))
    prices = st.data_editor(
        indicators.price_template(zone),
        key=KEY_PRICES,
        disabled=["code"],
        hide_index=True,
        column_config={
            "code": st.column_config.SelectboxColumn(
                tr("indicators.col_code"),
                options=list(indicators.price_template(zone)["code"]),
                format_func=lambda c: codes.resource_label(str(c), lang),
            ),
            "purchase_eur_per_unit": st.column_config.NumberColumn(tr("indicators.col_purchase")),
            "disposal_eur_per_unit": st.column_config.NumberColumn(tr("indicators.col_disposal")),
        },
        placeholder="",
    )
    return factors, prices
