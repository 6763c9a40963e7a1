"""Report for elected officials (self-contained HTML, PDF) and the decision tables (CSV, XLSX)."""

from __future__ import annotations

import dataclasses
import html
import io
import re
from datetime import date
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely

from eit_geo import anonymise, plan, plan_store, report, store, timeline, workshop
from eit_geo.datafiles import example_path
from eit_geo.i18n import t
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions
from eit_geo.network_years import running_now

if TYPE_CHECKING:
    from pathlib import Path

    from eit_geo.zone import Zone

EVIL = '<script>alert("x")</script> & « guillemets »'


@pytest.fixture(scope="module")
def kalundborg() -> Zone:
    return load_zone(example_path("kalundborg"))


@pytest.fixture(scope="module")
def decided(kalundborg: Zone, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """A board where a participant retained one candidate (with hostile text) and rejected one."""
    candidates = find_substitutions(running_now(kalundborg))  # as the pages: this year's
    engine = store.open_store(f"sqlite:///{tmp_path_factory.mktemp('r') / 'd.sqlite'}")
    new = candidates.loc[candidates["status"] == "candidate", "candidate_id"].tolist()
    store.record_decision(
        engine,
        "z",
        new[0],
        {
            "status": "retained",
            "technical": "ok",
            "technical_note": EVIL,
            "regulatory": "watch",
            "regulatory_note": "sortie du statut de déchet à demander",
            "comment": '=HYPERLINK("http://evil")',
        },
        participant="Anne <DREAL>",
    )
    store.record_decision(engine, "z", new[1], {"status": "rejected"}, participant="Bruno")
    board = workshop.build_board(
        candidates, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    history = store.history(engine, "z")
    engine.dispose()
    return board, history, new[0]


def test_decisions_table(decided: tuple) -> None:
    board, _, retained = decided
    table = report.decisions_table(board)
    assert len(table) == len(board)
    assert list(table.columns[:3]) == ["Fournisseur", "Receveur", "Ressource"]
    row = table[table["Identifiant de la piste"] == retained].iloc[0]
    assert row["Décision de l'atelier"] == "retenue"
    assert row["Technique (qualité, volumes, régularité)"] == "validé"
    assert row["Note technique"] == EVIL
    assert row["Dernière modification par"] == "Anne <DREAL>"
    assert "UTC" not in row["Date de la modification"]
    assert re.fullmatch(r"\d{1,2} \w+\.? 20\d\d, \d\d:\d\d", row["Date de la modification"])
    assert set(table["Unité"]) <= {"t/an", "m³/an", "MWh/an"}
    english = report.decisions_table(board, "en")
    assert "Workshop decision" in english.columns
    assert set(english["Workshop decision"]) <= {"to study", "retained", "rejected", "in place"}


def test_csv_for_french_spreadsheets(decided: tuple) -> None:
    board, _, retained = decided
    data = report.table_csv(report.decisions_table(board))
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", dtype=str)
    row = back[back["Identifiant de la piste"] == retained].iloc[0]
    assert row["Commentaire"] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    assert row["Note technique"] == EVIL
    assert "," in back["Score"].dropna().iloc[0]


def test_csv_for_english_spreadsheets(decided: tuple) -> None:
    board, _, _ = decided
    data = report.table_csv(report.decisions_table(board, "en"), "en")
    back = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert "." in back["Score"].dropna().iloc[0]
    assert set(back["Unit"]) <= {"t/yr", "m³/yr", "MWh/yr"}


def test_xlsx(decided: tuple) -> None:
    board, _, retained = decided
    table = report.decisions_table(board)
    book = openpyxl.load_workbook(io.BytesIO(report.table_xlsx(table)))
    sheet = book["decisions"]
    assert sheet.freeze_panes == "A2"
    headers = [cell.value for cell in sheet[1]]
    assert headers == list(table.columns)
    column = headers.index("Commentaire") + 1
    ids = headers.index("Identifiant de la piste") + 1
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, ids).value == retained)
    cell = sheet.cell(row, column)
    assert cell.data_type == "s"
    assert cell.value.startswith("'=")
    assert sheet.max_row == len(table) + 1


def test_factor_sources() -> None:
    every = report.factor_sources()
    assert {"Facteur", "Valeur", "Source", "Année", "Statut"} <= set(every.columns)
    assert set(every["Statut"]) == {"sourcé", "à confirmer"}
    some = report.factor_sources("en", keys=["gas_boiler_efficiency"])
    assert len(some) == 1
    assert "Source" in some.columns


def test_inline_map_has_no_outside_reference() -> None:
    fmap = folium.Map(location=[55.67, 11.1], zoom_start=13, tiles=None)
    folium.CircleMarker([55.67, 11.1], tooltip="x").add_to(fmap)
    page = report.inline_map_html(fmap)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=\"(https?:)?//", page)
    assert "L.map(" in page
    assert "url(images/" not in page  # Leaflet's images are data URIs


def test_svg_map(kalundborg: Zone, decided: tuple) -> None:
    board, _, _ = decided
    svg = report.svg_map(kalundborg, board)
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert svg.count("<circle") == len(kalundborg.companies)
    assert svg.count("<polyline") == board.geometry.notna().sum()
    assert 'stroke="#E69F00" stroke-width="5"' in svg  # the retained one, thick, orange
    assert "Asnæs" in svg


def _report(kalundborg: Zone, decided: tuple, **options: object) -> str:
    board, history, _ = decided
    figure = timeline.timeline_figure(timeline.network_timeline(kalundborg, board, history))
    kpis = [report.Kpi("CO₂ évité", "≈ 3 100 t CO₂e/an", "retenu <b>")]
    return report.build_report(kalundborg, board, kpis=kpis, figures=[figure, figure], **options)


def test_report_is_self_contained_and_escaped(kalundborg: Zone, decided: tuple) -> None:
    fmap = folium.Map(location=[55.67, 11.1], zoom_start=13, tiles=None)
    document = _report(kalundborg, decided, map_html=report.inline_map_html(fmap))
    assert document.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script[^>]+src=", document)
    assert not re.search(r"<link[^>]+href=", document)
    assert "<script>alert" not in document
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; « guillemets »" in document
    assert "Anne &lt;DREAL&gt;" in document
    assert "retenu &lt;b&gt;" in document
    assert document.count("* plotly.js v") == 1  # the library once, for two figures
    assert document.count("Plotly.newPlot(") == 2
    assert '<iframe class="map screen-only"' in document
    assert 'class="print-only"><svg' in document
    assert "Synergies retenues par l&#x27;atelier (1)" in document
    assert "Autres synergies en place ou retenues" in document
    assert "Sources des facteurs" in document
    assert "ADEME" in document
    assert "Vue anonymisée" not in document


def test_anonymised_report(kalundborg: Zone, decided: tuple) -> None:
    board, _, _ = decided
    public_zone = anonymise.anonymise_zone(kalundborg, lang="en")
    public_board = anonymise.anonymise_candidates(board, kalundborg, lang="en")
    document = report.build_report(public_zone, public_board, anonymised=True, lang="en")
    assert "Anonymised view" in document
    for name in kalundborg.companies["name"]:
        assert name not in document
    assert "Company " in document


@pytest.mark.skipif(report.find_chromium() is None, reason="no Chromium to print with")
@pytest.mark.process
def test_report_pdf(kalundborg: Zone, decided: tuple, tmp_path: Path) -> None:
    pdf = report.report_pdf(_report(kalundborg, decided))
    assert pdf.startswith(b"%PDF-")
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type/Page") >= 2
    (tmp_path / "report.pdf").write_bytes(pdf)


def test_report_pdf_without_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(report.CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    with pytest.raises(RuntimeError, match="PDF export needs Chromium: install it"):
        report.report_pdf("<html></html>")


def test_report_opens_offline(
    kalundborg: Zone, decided: tuple, tmp_path: Path, browser: object
) -> None:
    """Open the file in Chromium with every network request refused: all of it renders."""
    path = tmp_path / "rapport.html"
    path.write_text(_report(kalundborg, decided), encoding="utf-8")
    requests: list[str] = []
    context = browser.new_context()
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else (
        requests.append(r.request.url), r.abort()))  # fmt: skip
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
    assert page.locator(".js-plotly-plot").count() == 2
    assert page.locator("svg.svg-map circle").count() == len(kalundborg.companies)
    context.close()
    assert requests == []


def test_workshop_kpis(kalundborg: Zone, decided: tuple) -> None:
    board, _, _ = decided
    kpis = report.workshop_kpis(kalundborg, board)
    assert kpis[0].label == "Synergies en place"
    assert kpis[1] == report.Kpi("Synergies retenues par l'atelier", "1", key="retained")
    labels = [k.label for k in kpis]
    assert "Tonnes détournées" in labels
    assert all(k.value for k in kpis)
    assert any("par rapport à l'existant" in k.detail for k in kpis[2:])


def test_gain_of_an_estimate_reads_as_one(kalundborg: Zone, decided: tuple) -> None:
    """The retained lead's quantity is an estimate: its gain reads « ≈ », in both languages."""
    board, history, _ = decided
    gains = {k.key: k for k in report.workshop_kpis(kalundborg, board)}
    assert gains["tonnes_diverted"].gain == "≈ +500"
    assert gains["tonnes_diverted"].detail == "≈ +500 t/an par rapport à l'existant."
    english = {k.key: k for k in report.workshop_kpis(kalundborg, board, "en")}
    assert english["tonnes_diverted"].gain == "≈ +500"
    assert english["co2_avoided_t"].gain.startswith("≈ -")
    document = report.workshop_report(kalundborg, board, history, anonymised=True)
    first_page = document[: document.index("<section><h2>")]
    figure = '<span class="gain-figure">≈ +500</span> <span class="gain-unit">t/an</span>'
    assert figure in first_page


def test_gain_of_published_quantities_is_exact(kalundborg: Zone, decided: tuple) -> None:
    """Published quantities give an exact gain; estimates among the unchanged exchanges in
    place do not make it one, a factor « to be confirmed » still does."""
    board, _, _ = decided
    published = dataclasses.replace(
        kalundborg, flows=kalundborg.flows.assign(quantity_status="published")
    )
    gains = {k.key: k for k in report.workshop_kpis(published, board)}
    assert gains["tonnes_diverted"].gain == "+500"
    assert gains["tonnes_diverted"].headline.startswith("≈ ")  # the total keeps its estimates
    assert gains["transport_co2_t"].gain.startswith("≈ +")  # transport factor to be confirmed


@pytest.mark.parametrize("anonymised", [False, True])
def test_workshop_report(kalundborg: Zone, decided: tuple, *, anonymised: bool) -> None:
    board, history, _ = decided
    document = report.workshop_report(kalundborg, board, history, anonymised=anonymised)
    assert not re.search(r"<script[^>]+src=", document)
    assert document.count("* plotly.js v") == 1
    assert document.count("Plotly.newPlot(") == 2  # families and timeline
    assert "<iframe" in document
    assert "Chiffres clés" in document
    assert "Synergies en place" in document
    names = [n for n in kalundborg.companies["name"] if html.escape(n) in document]
    tiles = document.count("L.tileLayer(")  # plotly's bundle names tile servers it never asks
    if anonymised:
        assert tiles == 0  # the neutral background only: no tile server learns where we are
        assert "raffinage" not in document  # one refinery in the zone: its sector is generalised
        assert names == []
        assert "Entreprise " in document
        assert "Anne" not in document  # participants' names are left out too
        assert "alert(&quot;x&quot;)" not in document  # and their notes
    else:
        assert tiles == 2  # OpenStreetMap and CARTO, as choices
        assert len(names) == len(kalundborg.companies)
        assert "Anne &lt;DREAL&gt;" in document


def test_report_title_names_the_zone_as_the_app_does(kalundborg: Zone, decided: tuple) -> None:
    by_default = _report(kalundborg, decided)
    shown = html.escape(t("workshop.report_title", zone="Kalundborg (Danemark)"))
    assert f"<title>{shown}</title>" in by_default  # the example's label, not its folder
    labelled = _report(kalundborg, decided, zone_label="Kalundborg <Danemark>")
    title = html.escape(t("workshop.report_title", zone="Kalundborg <Danemark>"))
    assert f"<title>{title}</title>" in labelled
    assert f"<h1>{title}</h1>" in labelled
    assert "<Danemark>" not in labelled


def test_report_carries_the_action_plan(kalundborg: Zone, decided: tuple) -> None:
    board, history, _ = decided
    retained = str(board.loc[board["decision"] == "retained", "candidate_id"].iloc[0])
    steps = pd.DataFrame(
        {
            "candidate_id": [retained],
            "step": ["Devis <b>raccordement</b>"],
            "carrier": [plan_store.FACILITATOR],
            "due": ["2026-01-15"],
            "state": ["doing"],
            "participant": ["Claire"],
            "updated_at": [pd.Timestamp("2026-01-02", tz="UTC")],
            "version": [2],
        }
    )
    table = plan.plan_board(board, steps, today=date(2026, 2, 1), lang="fr")
    document = report.workshop_report(kalundborg, board, history, plan=table)
    assert "<h2>Plan d&#x27;action (1 piste(s))</h2>" in document
    assert "Devis &lt;b&gt;raccordement&lt;/b&gt;" in document
    assert '<tr class="late">' in document
    assert "1 étape(s) en retard (en rouge)." in document
    public = report.workshop_report(kalundborg, board, history, anonymised=True, plan=table)
    assert "raccordement" not in public


def test_svg_map_keeps_perimeter_holes_and_names_far_partners(
    kalundborg: Zone, tmp_path: Path
) -> None:
    """A perimeter with a hole (a lake, a protected area) prints with its hole; a partner
    168 km away is named at the frame's edge instead of a line leaving the page."""
    engine = store.open_store(f"sqlite:///{tmp_path / 'd.sqlite'}")
    in_2018 = find_substitutions(running_now(kalundborg, 2018))  # the fly ash ran until 2019
    board = workshop.build_board(
        in_2018, store.get_decisions(engine, "z"), store.get_votes(engine, "z")
    )
    outer = shapely.box(*kalundborg.perimeter.to_crs(3857).total_bounds).buffer(500)
    holed = shapely.Polygon(outer.exterior, [outer.centroid.buffer(300).exterior])
    perimeter = gpd.GeoDataFrame(geometry=[holed], crs=3857).to_crs(4326)
    zone = dataclasses.replace(kalundborg, perimeter=perimeter)
    svg = report.svg_map(zone, board, colour_by="family")
    path = re.search(r'<path d="([^"]+)"[^>]*fill-rule="evenodd"', svg)
    assert path is not None
    assert path.group(1).count("M") == 2  # the outer ring and the hole
    assert "Aalborg Portland · 168 km" in svg
    for points in re.findall(r'<polyline points="([^"]+)"', svg):
        for pair in points.split():
            x, y = (float(v) for v in pair.split(","))
            assert -0.5 <= x <= 960.5
            assert -0.5 <= y <= 600.5  # clipped to the frame
    with pytest.raises(ValueError, match="colour_by 'sector' is not one of status, family"):
        report.svg_map(zone, board, colour_by="sector")
