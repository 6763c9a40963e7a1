"""End-to-end: after the workshop, offline — a lead retained with its next step, two years of
quantities exchanged for a synergy in place, the chart and the « réalisé » scenario that follow.

Claire retains the process-water lead in the Atelier, gives it its next step, who carries it and
a due date; on the Suivi page she records what the FGD gypsum exchange (Asnæs → Gyproc) really
carried in two years, sees planned against realised drawn, and on the Indicateurs page the
« réalisé » scenario changes with the year. Screenshots land in ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import ARTIFACTS, open_tab, seen, tick, wait_idle
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from test_map import maps_still

from eit_geo import plan_store, store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from collections.abc import Callable

WATER = "Kalundborg Forsyning → Raffinerie de Kalundborg"  # process water: a new lead
WATER_ID = "forsyning>refinery:process_water>process_water"
GYPSUM = "Asnæs (Asnæsværket, Ørsted) → Saint-Gobain Gyproc"  # FGD gypsum, in place since 1993
WAIT_MS = 30_000
IDLE_MS = 60_000  # a page's first run computes its figures
DUE = "30/06/2026"


@pytest.fixture(scope="module")
def followup_zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of Kalundborg in a writable folder: its store (decisions, plan) sits beside it."""
    folder = tmp_path_factory.mktemp("suivi") / "kalundborg"
    shutil.copytree(example_path("kalundborg"), folder)
    return folder


@pytest.fixture
def server_url(
    followup_zone: Path, app_servers: Callable[[str], object], monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.delenv(store.DATABASE_ENV, raising=False)
    return app_servers(str(followup_zone)).url  # type: ignore[attr-defined]


def idle(page: object) -> None:
    wait_idle(page, timeout_ms=IDLE_MS)


def visit(page: object, url: str, path: str, name: str | None = "Claire Dubois") -> None:
    """Open a page and sign in (each visit is a new Streamlit session)."""
    page.set_viewport_size({"width": 1600, "height": 1400})  # type: ignore[attr-defined]
    page.goto(f"{url}/{path}", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    idle(page)
    if name is None:
        return
    field = page.get_by_role("textbox", name="Votre nom (participant)")  # type: ignore[attr-defined]
    field.wait_for(timeout=WAIT_MS)
    field.fill(name)
    field.press("Enter")
    idle(page)
    expect(field).to_have_value(name, timeout=WAIT_MS)


def pick(page: object, label: str, typed: str, *, scope: object | None = None) -> None:
    """Type in a select box and click its first option once it shows what was typed."""
    where = scope or page
    for _ in range(5):
        idle(page)
        box = where.get_by_role("combobox", name=label)  # type: ignore[attr-defined]
        expect(box).to_be_visible(timeout=IDLE_MS)  # a widget below a map may draw late
        box.click()
        box.fill(typed)
        first = page.get_by_role("option").first  # type: ignore[attr-defined]
        try:
            expect(first).to_contain_text(typed, timeout=5_000)
            first.click()
            idle(page)
            return
        except (AssertionError, PlaywrightTimeout):
            page.keyboard.press("Escape")  # type: ignore[attr-defined]
    msg = f"could not pick {typed!r} in {label!r}"
    raise AssertionError(msg)


def form_with(page: object, text: str) -> object:
    return page.get_by_test_id("stForm").filter(has_text=text)  # type: ignore[attr-defined]


def metric_value(page: object, label: str) -> object:
    card = page.get_by_test_id("stMetric").filter(has_text=label).first  # type: ignore[attr-defined]
    return card.get_by_test_id("stMetricValue")


def test_plan_and_follow_up(page: object, server_url: str, followup_zone: Path) -> None:
    retain_with_a_step(page, server_url)
    record_two_years(page, server_url)
    realised_scenario_follows(page, server_url)
    check_store(followup_zone)
    network_in_1995_and_today(page, server_url)


def retain_with_a_step(page: object, url: str) -> None:
    visit(page, url, "atelier")
    pick(page, "Ouvrir une piste", "Eau de procédé / eau brute : Kalundborg Forsyning → Raffinerie")
    decision = form_with(page, "Technique (qualité, volumes, régularité)")
    tick(decision, "retenue")
    decision.get_by_role("button", name="Enregistrer la décision").click()
    idle(page)
    seen(page, "Décision enregistrée (statut : retenue).")
    step = form_with(page, "Prochaine étape")
    expect(step).to_be_visible(timeout=WAIT_MS)
    step.get_by_role("textbox", name="Prochaine étape").fill("Analyse de la qualité de l'eau")
    pick(page, "Portée par", "Raffinerie de Kalundborg", scope=step)
    step.get_by_role("spinbutton", name="day, Échéance").click()
    page.keyboard.type(DUE.replace("/", ""))  # type: ignore[attr-defined]
    page.keyboard.press("Tab")  # type: ignore[attr-defined]
    tick(step, "en cours")
    step.get_by_role("button", name="Enregistrer l'étape").click()
    idle(page)
    seen(page, "Étape enregistrée (en cours).")
    page.screenshot(path=str(_artifact("suivi-atelier-etape")))  # type: ignore[attr-defined]

    visit(page, url, "suivi")
    open_tab(page, "Plan d'action")
    plan = page.get_by_test_id("stDataFrame").first  # type: ignore[attr-defined]
    expect(plan).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("1 piste(s) au plan")).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]


def record_two_years(page: object, url: str) -> None:
    visit(page, url, "suivi")
    open_tab(page, "Échanges en place")
    pick(page, "Synergie suivie", GYPSUM)
    charts = page.get_by_test_id("stPlotlyChart")  # type: ignore[attr-defined]
    # its subtitle names it, on lines of their own (no blank between two lines' words)
    synergy_chart = charts.filter(has_text=re.compile(r"Saint-Gobain\s*Gyproc"))
    expect(synergy_chart).to_have_count(0, timeout=WAIT_MS)
    years = (("2023", "141000", "mesuré"), ("2024", "98500", "estimé"))
    for count, (year, quantity, status) in enumerate(years, start=1):
        form = form_with(page, "Quantité échangée")
        form.get_by_role("spinbutton", name="Année").fill(year)
        form.get_by_role("spinbutton", name="Quantité échangée (t/an)").fill(quantity)
        tick(form, status)
        form.get_by_role("textbox", name="Source").fill("bilan matière Gyproc")
        form.get_by_role("button", name="Enregistrer").click()
        seen(page, f"Quantité {year} enregistrée.")  # then the table's count, which stays
        idle(page)
        expect(page.get_by_text(f"Chiffres saisis ({count})")).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    expect(synergy_chart).to_have_count(1, timeout=WAIT_MS)
    bars = synergy_chart.locator("g.point")
    expect(bars).to_have_count(2, timeout=WAIT_MS)  # one bar a year (measured, estimated)
    network = charts.filter(has_text="tout le réseau")
    expect(network).to_have_count(1, timeout=WAIT_MS)
    page.screenshot(path=str(_artifact("suivi-echanges")), full_page=True)  # type: ignore[attr-defined]


def realised_scenario_follows(page: object, url: str) -> None:
    visit(page, url, "indicateurs", name=None)
    page.get_by_text("Réalisé (quantités réellement échangées)").click()  # type: ignore[attr-defined]
    idle(page)
    tonnes = metric_value(page, "Tonnes détournées")
    expect(tonnes).to_have_text("≈ 98\u202f500", timeout=WAIT_MS)  # latest year first, estimated
    expect(page.get_by_text("ont un chiffre réalisé en 2024")).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    pick(page, "Année", "2023")
    expect(tonnes).to_have_text("141\u202f000", timeout=WAIT_MS)
    page.screenshot(path=str(_artifact("suivi-indicateurs-realise")))  # type: ignore[attr-defined]


def network_in_1995_and_today(page: object, url: str) -> None:
    visit(page, url, "suivi")
    open_tab(page, "Le réseau dans le temps")
    left = page.get_by_test_id("stColumn").filter(has_text="Le réseau en").first  # type: ignore[attr-defined]
    pick(page, "Le réseau en", "1995", scope=left)
    expect(page.get_by_text("11 entreprise(s), 13 synergie(s) en place")).to_be_visible(  # type: ignore[attr-defined]
        timeout=WAIT_MS
    )
    expect(page.get_by_text("12 entreprise(s), 19 synergie(s) en place")).to_be_visible(  # type: ignore[attr-defined]
        timeout=WAIT_MS
    )
    maps_still(page)  # the two maps draw
    page.screenshot(path=str(_artifact("suivi-reseau-1995-aujourdhui")), full_page=True)  # type: ignore[attr-defined]


def check_store(zone: Path) -> None:
    """The SQLite store beside the zone holds the step and the figures, signed."""
    key = store.zone_key(load_zone(zone))
    engine = plan_store.prepare(store.open_store(store.default_database_url(zone, key=key)))
    step = plan_store.get_steps(engine, key).set_index("candidate_id").loc[WATER_ID]
    assert (step["step"], step["carrier"], step["due"], step["state"]) == (
        "Analyse de la qualité de l'eau",
        "refinery",
        "2026-06-30",
        "doing",
    )
    assert step["participant"] == "Claire Dubois"
    figures = plan_store.get_realised(engine, key)
    assert figures[["resource", "year", "quantity", "status"]].to_numpy().tolist() == [
        ["10 01 05", 2023, 141_000.0, "measured"],
        ["10 01 05", 2024, 98_500.0, "estimated"],
    ]
    engine.dispose()


def _artifact(name: str, suffix: str = ".png") -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}{suffix}"
