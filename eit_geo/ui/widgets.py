"""Display helpers shared by the pages: facts, tables, metric cards, figures, map assets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st

from eit_geo import (
    charts,
    report,
)
from eit_geo.datafiles import data_path
from eit_geo.formatting import colon
from eit_geo.mbtiles import LocalTiles, install_tiles
from eit_geo.offline import install_assets, static_url
from eit_geo.panels import escape_markdown
from eit_geo.settings import basemap_setting

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go
from eit_geo.ui.state import KEY_ASSETS, KEY_LOCAL_TILES, language, tr


@st.cache_resource(show_spinner=False)
def _install_assets(static_dir: str) -> str:
    install_assets(Path(static_dir))
    return static_url(st.get_option("server.baseUrlPath") or "")


@st.cache_resource(show_spinner=False, max_entries=4)
def _install_tiles(source: str, static_dir: str, lang: str) -> LocalTiles | str:
    try:
        return install_tiles(Path(source), Path(static_dir), lang=lang)
    except ValueError as error:
        return str(error)


def serve_map_assets(static_dir: Path) -> None:
    """Serve Leaflet from ``static_dir/vendor`` (copied once per server) for this session's maps.

    ``static_dir`` is the ``static`` folder next to ``app.py``, served by Streamlit. A basemap
    file named by ``EIT_GEO_BASEMAP`` (``eit-geo app --basemap``) is laid out there too, once,
    and offered to this session's maps; a file that cannot be used is said on the Carte page.
    """
    st.session_state[KEY_ASSETS] = _install_assets(str(static_dir))
    source = basemap_setting()
    if source:
        st.session_state[KEY_LOCAL_TILES] = _install_tiles(source, str(static_dir), language())


def static_serving_on() -> bool:
    """Tell whether Streamlit serves the ``static`` folder (needed by the offline map)."""
    return bool(st.get_option("server.enableStaticServing"))


def table_or_note(table: pd.DataFrame, empty_key: str) -> None:
    """Show a table, or a short note when it has no rows."""
    if table.empty:
        st.caption(tr(empty_key))
    else:
        st.dataframe(table, hide_index=True, placeholder="—")


def facts(items: dict[str, str]) -> None:
    """Show labelled facts as a list (label in bold), escaped as Markdown."""
    mark = colon(language())
    st.markdown(
        "\n".join(
            f"- **{escape_markdown(label)}**{mark}{escape_markdown(value)}"
            for label, value in items.items()
        )
    )


def metric_style() -> None:
    """Let the metric cards' labels wrap rather than end in « … » (``metrics.css``)."""
    st.html(f"<style>{data_path('report', 'metrics.css').read_text(encoding='utf-8')}</style>")


def show_kpis(cards: list[dict[str, str]], per_row: int = 3) -> None:
    """Show indicator cards (`indicators.kpi_cards`), ``per_row`` a row, with help and delta."""
    metric_style()
    for start in range(0, len(cards), per_row):
        row = cards[start : start + per_row]
        for column, card in zip(st.columns(per_row), row, strict=False):
            column.metric(
                f"{card['label']} ({card['unit']})",
                card["value"],
                delta=card.get("delta"),
                delta_color="inverse" if card["key"] == "transport_co2_t" else "normal",
                help=card["help"],
                border=True,
            )
            if card.get("note"):
                column.caption(card["note"])


def show_figure(figure: go.Figure, name: str) -> None:
    """Show a plotly figure full width; the modebar downloads it as ``name``.png."""
    st.plotly_chart(figure, width="stretch", theme=None, config=charts.figure_config(name))


def show_kpi_cards(
    kpis: list[report.Kpi], *, per_row: int = 4, large: bool = False, skip: tuple[str, ...] = ()
) -> None:
    """Show headline figures as metric cards, ``per_row`` a row, their note below.

    ``large`` (presentation mode) puts the unit after the figure rather than in the label;
    ``skip`` leaves out the cards of those keys.
    """
    metric_style()
    kpis = [kpi for kpi in kpis if kpi.key not in skip]
    for start in range(0, len(kpis), per_row):
        chunk = kpis[start : start + per_row]
        for column, kpi in zip(st.columns(per_row), chunk, strict=False):
            label, value = kpi.label, kpi.value
            if kpi.unit and large:
                value = f"{value} {kpi.unit}"
            elif kpi.unit:
                label = f"{label} ({kpi.unit})"
            column.metric(label, value, border=True)
            if kpi.detail:
                column.caption(kpi.detail)


def uploaders_in_language() -> None:
    """Write the page's file upload boxes in the interface's language, as far as CSS can.

    Streamlit writes its box in English (« Drag and drop files here », « Limit 50MB per file »,
    « Browse files ») with no option to change it: a style sheet hides those texts and the
    button reads the interface's word. The page says the limits itself.
    """
    style = data_path("report", "uploader.css").read_text(encoding="utf-8")
    button = json.dumps(tr("app.upload_button"), ensure_ascii=False)
    st.html(f"<style>:root {{ --eit-upload-button: {button}; }}\n{style}</style>")
