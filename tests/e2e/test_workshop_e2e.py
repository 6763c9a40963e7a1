"""End-to-end: a workshop with two participants in two browsers, offline, on one server.

Anne and Bruno open the Atelier page at the same time, each in their own browser context, and
decide on leads concurrently — different leads, then the same one. Both decisions are kept (in
the page, in the SQLite store beside the zone, in the history), the selected scenario's figures
move, the report for elected officials downloads and opens offline, and the anonymised
presentation hides every company name. Screenshots land in ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browsing import ARTIFACTS, offline_context, seen, tick, wait_idle
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from test_map import maps_still

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

WATER = "Kalundborg Forsyning → Raffinerie de Kalundborg"  # process water: a new lead
ASH = "Asnæs (Asnæsværket, Ørsted) → Kalundborg Kommune"  # bottom ash as aggregates
PAPER = "Novo Nordisk Kalundborg → ARGO"  # paper and board packaging
WAIT_MS = 30_000  # for an assertion on the page to come true (a rerun on a loaded machine)


@pytest.fixture(scope="module")
def workshop_zone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of Kalundborg in a writable folder: its decision store sits beside it."""
    folder = tmp_path_factory.mktemp("atelier") / "kalundborg"
    shutil.copytree(example_path("kalundborg"), folder)
    return folder


@pytest.fixture
def server_url(
    workshop_zone: Path, app_servers: Callable[[str], object], monkeypatch: pytest.MonkeyPatch
) -> str:
    monkeypatch.delenv(store.DATABASE_ENV, raising=False)
    return app_servers(str(workshop_zone)).url  # type: ignore[attr-defined]


@pytest.fixture
def second_page(browser: object) -> Iterator[object]:
    """Bruno's browser: a second context (own cookies, own Streamlit session), offline too."""
    context = offline_context(browser, {"width": 1600, "height": 1400})
    page = context.new_page()  # type: ignore[attr-defined]
    yield page
    context.close()  # type: ignore[attr-defined]


def idle(page: object) -> None:
    wait_idle(page, timeout_ms=60_000)


def join(page: object, url: str, name: str) -> None:
    """Open the Atelier page and sign in with a name."""
    page.set_viewport_size({"width": 1600, "height": 1400})  # type: ignore[attr-defined]
    page.goto(f"{url}/atelier", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    idle(page)
    field = page.get_by_role("textbox", name="Votre nom (participant)")  # type: ignore[attr-defined]
    field.fill(name)
    field.press("Enter")
    idle(page)


def open_lead(page: object, text: str) -> None:
    box = page.get_by_role("combobox", name="Ouvrir une piste")  # type: ignore[attr-defined]
    box.click()
    box.fill(text)
    # the list filters as one types: wait until its first option is the lead typed, then click
    first = page.get_by_role("option").first  # type: ignore[attr-defined]
    expect(first).to_contain_text(text, timeout=WAIT_MS)
    first.click()
    idle(page)
    page.get_by_test_id("stForm").wait_for()  # type: ignore[attr-defined]


def choose(page: object, label: str, option: str) -> None:
    """Pick an option of a select box of the form (retried: a rerun may close the list)."""
    form = page.get_by_test_id("stForm")  # type: ignore[attr-defined]
    choice = page.get_by_role("option", name=option, exact=True)  # type: ignore[attr-defined]
    for _ in range(5):
        idle(page)
        form.get_by_role("combobox", name=label).click()
        try:
            choice.wait_for(timeout=3_000)
            choice.click()
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")  # type: ignore[attr-defined]
    msg = f"could not choose {option!r} in {label!r}"
    raise AssertionError(msg)


def metric_value(page: object, label: str) -> object:
    """The value of a metric card, as a locator: assert on it with ``expect`` (it waits)."""
    card = page.get_by_test_id("stMetric").filter(has_text=label).first  # type: ignore[attr-defined]
    return card.get_by_test_id("stMetricValue")


def metric(page: object, label: str) -> str:
    return metric_value(page, label).inner_text()  # type: ignore[attr-defined]


def test_two_participants_decide_at_once(
    page: object, second_page: object, server_url: str, workshop_zone: Path
) -> None:
    anne, bruno = page, second_page
    join(anne, server_url, "Anne Martin")
    join(bruno, server_url, "Bruno Leroy")
    retained_count = "Synergies retenues par l'atelier"
    expect(metric_value(anne, retained_count)).to_have_text("0", timeout=WAIT_MS)
    water_before = metric(anne, "Eau économisée")

    decide_concurrently(anne, bruno)
    check_store(workshop_zone)

    # both browsers see every decision; the selected scenario moved
    for participant in (anne, bruno):
        participant.reload()  # type: ignore[attr-defined]
        idle(participant)
        # waited for, not read once: the reloaded page may still be drawing
        expect(metric_value(participant, retained_count)).to_have_text("3", timeout=WAIT_MS)
        water = metric_value(participant, "Eau économisée")
        expect(water).not_to_have_text(water_before, timeout=WAIT_MS)
        retained = lead_options(participant, "retenue").filter(has_text=re.compile(r"^retenue · "))
        expect(retained).to_have_count(3, timeout=WAIT_MS)
        participant.keyboard.press("Escape")  # type: ignore[attr-defined]
    anne.screenshot(path=str(_artifact("workshop-atelier")))  # type: ignore[attr-defined]

    # the Indicators page's "selected" scenario follows the workshop
    anne.goto(f"{server_url}/indicateurs", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    idle(anne)
    anne.get_by_text("Existantes + sélection de l'atelier").click()  # type: ignore[attr-defined]
    idle(anne)
    # the scenario is drawn once its figures show a change against the existing synergies
    expect(anne.get_by_test_id("stMetricDelta").first).to_be_visible(timeout=WAIT_MS)  # type: ignore[attr-defined]
    no_selection = anne.get_by_text("Aucune piste n'est encore sélectionnée")  # type: ignore[attr-defined]
    expect(no_selection).to_have_count(0, timeout=WAIT_MS)

    report_and_presentation(anne, server_url)


def decide_concurrently(anne: object, bruno: object) -> None:
    """Two leads saved at the same time by two people, then one lead changed by both at once."""
    open_lead(anne, "Eau de procédé / eau brute : Kalundborg Forsyning → Raffinerie")
    open_lead(bruno, "Asnæs (Asnæsværket, Ørsted) → Kalundborg Kommune")
    tick(anne.get_by_test_id("stForm"), "retenue")  # type: ignore[attr-defined]
    choose(anne, "Technique (qualité, volumes, régularité)", "validé")
    anne.get_by_test_id("stForm").get_by_role("textbox", name="Note technique").fill(  # type: ignore[attr-defined]
        "Qualité <b>conforme</b> à la spécification"
    )
    tick(bruno.get_by_test_id("stForm"), "retenue")  # type: ignore[attr-defined]
    choose(
        bruno, "Réglementaire (statut de déchet, sortie de statut, contrat)", "point de vigilance"
    )
    save_both(anne, bruno)
    seen(anne, "Décision enregistrée (statut : retenue).")
    seen(bruno, "Décision enregistrée (statut : retenue).")

    open_lead(anne, "Novo Nordisk Kalundborg → ARGO")
    open_lead(bruno, "Novo Nordisk Kalundborg → ARGO")
    tick(anne.get_by_test_id("stForm"), "retenue")  # type: ignore[attr-defined]
    choose(bruno, "Économique (coût de raccordement / économies)", "validé")
    save_both(anne, bruno)


def save_both(anne: object, bruno: object) -> None:
    """Click both "save" buttons without waiting in between: the two runs overlap."""
    for participant in (anne, bruno):
        button = participant.get_by_role("button", name="Enregistrer la décision")  # type: ignore[attr-defined]
        button.click(no_wait_after=True)
    idle(anne)
    idle(bruno)


def check_store(zone: Path) -> None:
    """The SQLite store beside the zone holds every decision, merged, with its history."""
    engine = store.open_store(store.default_database_url(zone))
    key = store.zone_key(load_zone(zone))
    decisions = store.get_decisions(engine, key).set_index("candidate_id")
    assert len(decisions) == 3
    assert set(decisions["status"]) == {"retained"}
    water = decisions.loc["forsyning>refinery:process_water>process_water"]
    assert (water["technical"], water["participant"]) == ("ok", "Anne Martin")
    assert water["technical_note"] == "Qualité <b>conforme</b> à la spécification"
    ash = decisions.loc["asnaes>kommune:10 01 01>aggregates"]
    assert (ash["regulatory"], ash["participant"]) == ("watch", "Bruno Leroy")
    paper = decisions.loc["novonordisk>argo:15 01 01>15 01"]
    assert (paper["status"], paper["economic"], paper["version"]) == ("retained", "ok", 2)
    steps = store.history(engine, key, "novonordisk>argo:15 01 01>15 01")
    assert sorted(steps["participant"]) == ["Anne Martin", "Bruno Leroy"]
    engine.dispose()


def lead_options(page: object, typed: str) -> object:
    """Open the "open a lead" list, type in it; return its options (close it with Escape).

    The options are labelled "status · resource : supplier → receiver"; the list filters as one
    types, so assert on them with ``expect`` (it waits) rather than read them once.
    """
    box = page.get_by_role("combobox", name="Ouvrir une piste")  # type: ignore[attr-defined]
    box.click()
    box.fill(typed)
    page.get_by_role("option").first.wait_for()  # type: ignore[attr-defined]
    return page.get_by_role("option")  # type: ignore[attr-defined]


def report_and_presentation(page: object, server_url: str) -> None:
    """Download the reports and the decisions, open the report offline, show the presentation."""
    join(page, server_url, "Anne Martin")
    report = _artifact("workshop-rapport", ".html")
    download(page, "Rapport pour les élus (HTML)").save_as(report)
    text = report.read_text(encoding="utf-8")
    assert "Synergies retenues par l&#x27;atelier (3)" in text
    assert "Qualité &lt;b&gt;conforme&lt;/b&gt;" in text
    assert not re.search(r"<script[^>]+src=", text)

    pdf = _artifact("workshop-rapport", ".pdf")
    download(page, "Rapport pour les élus (PDF)").save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")

    assert download(page, "Pistes et décisions (Excel)").suggested_filename.endswith(
        "-decisions.xlsx"
    )

    # the downloaded report opens from disk, with every request to the network refused
    outside: list[str] = []
    offline = page.context.browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    offline.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:", "about:", "blob:"))
            else (outside.append(route.request.url), route.abort())
        ),
    )
    reader = offline.new_page()
    reader.goto(report.as_uri())
    expect(reader.locator(".js-plotly-plot")).to_have_count(2, timeout=WAIT_MS)
    expect(reader.locator(".js-plotly-plot .main-svg")).not_to_have_count(0, timeout=WAIT_MS)
    expect(reader.locator(".synergy")).to_have_count(3, timeout=WAIT_MS)
    reader.screenshot(path=str(_artifact("workshop-rapport")), full_page=True)
    offline.close()
    tiles = ("tile.openstreetmap.org", "basemaps.cartocdn.com")
    assert [u for u in outside if not any(t in u for t in tiles)] == []

    # the presentation, anonymised by default, names no company
    page.goto(f"{server_url}/presentation", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    idle(page)
    page.get_by_test_id("stPlotlyChart").first.wait_for()  # type: ignore[attr-defined]
    page.set_viewport_size({"width": 1600, "height": 1900})  # type: ignore[attr-defined]
    # waited for, not read once: the presentation's parts may still be drawing
    shown = page.get_by_test_id("stMain")  # type: ignore[attr-defined]
    # a regular expression keeps the space (a string would be trimmed: "Entreprises" matches)
    expect(shown).to_contain_text(re.compile("Entreprise "), use_inner_text=True, timeout=WAIT_MS)
    # the gain of the retained leads first (« Synergies retenues +3 »), then their list
    expect(shown).to_contain_text("Synergies retenues", use_inner_text=True, timeout=WAIT_MS)
    gain = page.locator(".st-key-presentation_gain [data-testid=stMetricValue]").first  # type: ignore[attr-defined]
    expect(gain).to_have_text("+3", timeout=WAIT_MS)
    for name in ("Kalundborg Forsyning", "Raffinerie", "Novo Nordisk", "Asnæs", "ARGO", "Anne"):
        expect(shown).not_to_contain_text(name, use_inner_text=True, timeout=WAIT_MS)
    maps_still(page)
    page.screenshot(path=str(_artifact("workshop-presentation-anonyme")))  # type: ignore[attr-defined]


def download(page: object, label: str) -> object:
    """Click a download button and return the download (clicked again if a rerun ate it)."""
    for _ in range(3):
        idle(page)
        try:
            with page.expect_download(timeout=45_000) as info:  # type: ignore[attr-defined]
                page.get_by_role("button", name=label).click()  # type: ignore[attr-defined]
            return info.value
        except PlaywrightTimeout:
            continue
    msg = f"no download from {label!r}"
    raise AssertionError(msg)


def _artifact(name: str, suffix: str = ".png") -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}{suffix}"
