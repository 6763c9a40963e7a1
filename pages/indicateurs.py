"""Indicators: what the synergies bring, against published cases, with the factors behind."""

import streamlit as st

from eit_geo import benchmarks, charts, indicators, ui
from eit_geo.codes import UNITS
from eit_geo.formatting import format_count
from eit_geo.ui import analyses, indicateurs, suivi, widgets

ui.ensure_frame()
st.title(ui.tr("indicators.title"))
zone = ui.zone_or_stop("indicators.zone_invalid")
lang = ui.language()
st.caption(ui.tr("indicators.intro"))
name = st.radio(
    ui.tr("indicators.scenario"),
    (*indicators.SCENARIOS, indicators.REALISED),
    format_func=lambda s: ui.tr(f"indicators.scenario_{s}"),
    horizontal=True,
    help=ui.tr("indicators.scenario_help"),
    key="indicateurs_scenario",
)
head = st.container()
tabs = ("references", "families", "companies", "sankey", "growth", "factors")
refs, families_tab, companies_tab, sankey_tab, growth_tab, factors_tab = st.tabs(
    [ui.tr(f"indicators.tab_{tab}") for tab in tabs]
)

with factors_tab:
    factors, prices = indicateurs.edit_factors_and_prices(zone, lang)
    st.subheader(ui.tr("indicators.avoided_title"))
    st.dataframe(indicators.avoided_table(lang), hide_index=True, placeholder="—")

selected = indicateurs.selected_candidate_ids()
existing = analyses.scenario(zone, "existing", factors, prices)
if name == indicators.REALISED:
    with head:
        scenario = suivi.realised_scenario(zone, factors, prices)
else:
    scenario = analyses.scenario(zone, name, factors, prices, selected)
with head:
    if name == "selected" and selected is None:
        st.info(ui.tr("indicators.no_selection"))
    baseline = None if name == "existing" else existing
    widgets.show_kpis(indicators.kpi_cards(scenario, lang, baseline=baseline))
    if scenario.missing_factors:
        lines = indicators.missing_factor_lines(scenario, factors, lang)
        st.warning("\n".join([ui.tr("indicators.missing_warning"), *[f"- {x}" for x in lines]]))
    if scenario.uncounted:
        st.warning(ui.tr("indicators.uncounted_note", count=format_count(scenario.uncounted, lang)))
    st.caption(ui.tr("indicators.estimate_note"))

with refs:
    comparison = benchmarks.published_comparison(existing, zone.name)
    if not comparison.empty:
        st.subheader(ui.tr("indicators.published_title"))
        st.dataframe(
            benchmarks.comparison_table(comparison, lang), hide_index=True, placeholder="—"
        )
        st.caption(ui.tr("indicators.published_note"))
        gap = f"indicators.gap_{zone.name}"
        if ui.tr(gap) != gap:
            st.markdown(ui.tr(gap))
    left, right = st.columns(2)
    figure = left.selectbox(
        ui.tr("indicators.indicator"),
        benchmarks.CASE_FIGURES,
        format_func=lambda f: ui.tr(f"indicators.{f}"),
        key="indicateurs_figure",
    )
    basis = right.radio(
        ui.tr("indicators.basis"),
        benchmarks.BASES,
        format_func=lambda b: ui.tr(f"indicators.basis_{b}"),
        horizontal=True,
        key="indicateurs_basis",
    )
    table = benchmarks.benchmark_table(scenario, zone, lang=lang, title=ui.zone_title(zone))
    widgets.show_figure(
        charts.benchmark_figure(table, figure, basis, lang), f"{zone.name}-{figure}-{basis}"
    )

with families_tab:
    families = indicators.by_family(scenario)
    widgets.show_figure(charts.family_figure(families, lang), f"{zone.name}-familles")
    st.dataframe(indicators.indicator_table(families, lang), hide_index=True, placeholder="—")

with companies_tab:
    st.caption(ui.tr("indicators.companies_note"))
    companies = indicators.by_company(scenario, zone)
    st.dataframe(indicators.indicator_table(companies, lang), hide_index=True, placeholder="—")

with sankey_tab:
    unit = st.radio(
        ui.tr("indicators.sankey_unit"),
        UNITS,
        format_func=lambda u: ui.tr(f"units.{u.replace('/', '_')}"),
        horizontal=True,
        key="indicateurs_sankey_unit",
    )
    if (scenario.exchanges["unit"] == unit).any():
        sankey = charts.sankey_figure(scenario.exchanges, unit, lang)
        widgets.show_figure(sankey, f"{zone.name}-sankey")
    else:
        st.info(ui.tr("indicators.sankey_empty"))

with growth_tab:
    growth = indicators.network_growth(zone)
    if growth.empty:
        st.info(ui.tr("indicators.growth_empty"))
    else:
        widgets.show_figure(charts.growth_figure(growth, lang), f"{zone.name}-croissance")
    undated = int(zone.synergies["since"].isna().sum())
    if undated:
        st.caption(ui.tr("indicators.growth_undated", count=undated))
