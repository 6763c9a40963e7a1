"""End-to-end: ``eit-geo app --share`` as a room uses it, in Chromium, offline.

The server is the real command with known access codes in its environment. Before signing in,
no page, script, static file or download tells anything of the zone; each role then sees its
pages and exports, and a short session ends on its own.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Callable, Iterator

import pytest
from browsing import offline_context, save_screenshot, wait_idle
from playwright.sync_api import expect
from test_map import maps_still

from eit_geo.datafiles import example_path
from eit_geo.i18n import t
from eit_geo.loading import load_zone

CODES = {
    "facilitator": "anim-2026-kalundborg",
    "participant": "salle-verte-42",
    "observer": "elus-du-jeudi",
}
ENV = {f"EIT_GEO_CODE_{role.upper()}": code for role, code in CODES.items()}
NAMES = [str(n) for n in load_zone(example_path("kalundborg")).companies["name"]]
SECRETS = [*NAMES, "Kalundborg", "Asnæs", "Novo Nordisk"]
WAIT_MS = 60_000
TITLES = {  # the navigation's titles (French), as app.py names the pages
    "accueil": "app.page_home",
    "carte": "map.page_map",
    "synergies": "map.page_synergies",
    "indicateurs": "indicators.title",
    "atelier": "workshop.page_atelier",
    "suivi": "followup.page_title",
    "presentation": "workshop.page_presentation",
    "donnees": "app.page_data",
}
PAGES = {  # each role's navigation; one page only: no navigation shown
    "facilitator": [t(key) for key in TITLES.values()],
    "participant": [t(TITLES[p]) for p in TITLES if p not in ("suivi", "donnees")],
    "observer": [],
}
PUBLIC_REPORT = "Rapport anonymisé (HTML)"
TILE_HOSTS = ("tile.openstreetmap.org", "basemaps.cartocdn.com")
SESSION_MINUTES = 0.4  # the short-lived server's sessions: 24 s


def _server(start_module_app: Callable[..., object], tmp_path_factory, *args: str) -> str:
    database = tmp_path_factory.mktemp("decisions") / "decisions.sqlite"
    env = {**ENV, "EIT_GEO_DATABASE_URL": f"sqlite:///{database}"}
    return start_module_app("--share", *args, env=env).url  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def shared(start_module_app, tmp_path_factory: pytest.TempPathFactory) -> str:
    """``eit-geo app --share`` with known codes, its decisions in a fresh SQLite file."""
    return _server(start_module_app, tmp_path_factory)


@pytest.fixture(scope="module")
def short_lived(start_module_app, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The same with sessions of `SESSION_MINUTES`."""
    return _server(start_module_app, tmp_path_factory, "--session-minutes", str(SESSION_MINUTES))


@pytest.fixture
def new_page(browser: object) -> Iterator[Callable[[], object]]:
    """Return ``new_page()``: a page of a fresh browser (no cookie), offline."""
    contexts = []

    def make() -> object:
        context = offline_context(browser, timeout_ms=WAIT_MS)
        contexts.append(context)
        return context.new_page()  # type: ignore[attr-defined]

    yield make
    for context in contexts:
        context.close()


def sign_in(page: object, base: str, role: str, name: str = "Anne Martin (CCI)") -> None:
    page.goto(f"{base}/", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    page.get_by_label("Code d'accès").fill(CODES[role])  # type: ignore[attr-defined]
    page.get_by_label("Votre nom (et votre structure)").fill(name)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Entrer").click()  # type: ignore[attr-defined]
    wait_idle(page, timeout_ms=WAIT_MS)


def page_text(page: object) -> str:
    return str(page.locator("body").inner_text())  # type: ignore[attr-defined]


def test_nothing_of_the_zone_reaches_a_browser_before_sign_in(shared: str, new_page) -> None:
    page = new_page()
    responses: list[object] = []
    sockets: list[object] = []
    page.on("response", lambda r: responses.append(r))  # noqa: PLW0108 - Playwright refuses a builtin
    page.on("websocket", lambda w: sockets.append(w))  # noqa: PLW0108
    seen = []
    for path in [
        "",
        "carte",
        "atelier",
        "presentation",
        "donnees",
        "app/static/vendor/leaflet/leaflet.js",
        "_stcore/host-config",
        "component/streamlit_folium.st_folium/index.html",
        "media/anything.html",
    ]:
        page.goto(f"{shared}/{path}", wait_until="domcontentloaded")
        seen.append(page.content())
    page.goto(f"{shared}/carte", wait_until="domcontentloaded")
    expect(page.get_by_label("Code d'accès")).to_be_visible()
    assert page.url.endswith("/signin?next=/carte")
    for response in responses:
        try:
            seen.append(response.body().decode("utf-8", "replace"))
        except Exception:  # noqa: S112 - a redirect has no body to read
            continue
    everything = "\n".join(seen)
    assert [s for s in SECRETS if s in everything] == []
    assert sockets == []  # no WebSocket: Streamlit never ran a script for this browser
    save_screenshot(page, "access-sign-in")


def test_wrong_code_says_so(shared: str, new_page) -> None:
    page = new_page()
    page.goto(f"{shared}/", wait_until="domcontentloaded")
    page.get_by_label("Code d'accès").fill("salle-verte-43")
    page.get_by_label("Votre nom (et votre structure)").fill("Eve")
    page.get_by_role("button", name="Entrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Ce code n'ouvre pas l'atelier")
    assert [s for s in SECRETS if s in page.content()] == []


@pytest.mark.parametrize("role", ["facilitator", "participant", "observer"])
def test_each_role_sees_its_pages_and_exports(shared: str, new_page, role: str) -> None:
    page = new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, shared, role, name="" if role == "observer" else "Anne Martin (CCI)")
    links = page.locator('[data-testid="stSidebarNavLink"]')
    if PAGES[role]:
        expect(links).to_have_count(len(PAGES[role]))
        shown = [text.strip().splitlines()[-1] for text in links.all_inner_texts()]  # no icon
        assert shown == PAGES[role]
        expect(page.get_by_text("Anne Martin (CCI)").first).to_be_visible()
    else:
        expect(
            page.get_by_role("heading", name=re.compile("Synergies industrielles"))
        ).to_be_visible()
        assert links.count() == 0  # read once the page is drawn
        text = page_text(page)
        assert [n for n in NAMES if n in text] == []  # anonymised: no company name
        expect(page.get_by_text("Vue anonymisée").first).to_be_visible()
        # one switch (its help button is labelled « Help for Plein écran »)
        expect(page.get_by_role("switch", name="Plein écran", exact=True)).to_have_count(1)
        assert page.get_by_label("Vue anonymisée", exact=True).count() == 0  # no switch
        expect(page.locator("iframe").first).to_be_visible()
        maps_still(page)  # the map drawn: its tiles would have been asked for
        assert [u for u in requests if any(h in u for h in TILE_HOSTS)] == []
    save_screenshot(page, f"access-{role}")
    if role == "observer":
        page.goto(f"{shared}/atelier", wait_until="domcontentloaded")
        wait_idle(page, timeout_ms=WAIT_MS)
        expect(page.get_by_role("heading").first).to_be_visible()  # the page drawn, then read
        assert page.get_by_text("Enregistrer la décision").count() == 0
        assert [n for n in NAMES if n in page_text(page)] == []
        return
    page.goto(f"{shared}/atelier", wait_until="domcontentloaded")
    wait_idle(page, timeout_ms=WAIT_MS)
    buttons = page.locator('[data-testid="stDownloadButton"] button')
    expect(buttons.first).to_be_visible()
    if role == "facilitator":
        expect(buttons.nth(6)).to_be_attached()  # its seven exports drawn before they are read
    exports = {text.strip() for text in buttons.all_inner_texts()}
    if role == "participant":
        assert exports == {PUBLIC_REPORT}
    else:
        assert len(exports) == 7
        assert PUBLIC_REPORT in exports


def test_a_session_ends(short_lived: str, new_page) -> None:
    page = new_page()
    sign_in(page, short_lived, "participant")
    expect(page.get_by_role("heading", name=re.compile("Kalundborg"))).to_be_visible()
    # The session runs out after SESSION_MINUTES: the open tab reruns (a language change) until
    # a run finds it over, within a deadline; the ended page speaks the language just chosen.
    ended = page.get_by_text(re.compile("^(Your session has ended|Votre session a pris fin)"))
    deadline = time.monotonic() + SESSION_MINUTES * 60 + WAIT_MS / 1000
    for language in itertools.cycle(("English", "Français")):
        assert time.monotonic() < deadline, "the session never ended"
        page.get_by_text(language, exact=True).click()
        wait_idle(page, timeout_ms=WAIT_MS)
        with contextlib.suppress(AssertionError):  # polled every 2 s: the session still open
            expect(ended).to_be_visible(timeout=2_000)
            break
    assert [n for n in NAMES if n in page_text(page)] == []
    save_screenshot(page, "access-session-ended")
    page.reload(wait_until="domcontentloaded")  # a new load goes back to the door (the cookie
    expect(page.get_by_label("Code d'accès")).to_be_visible()  # has expired with the session)
    assert "/signin?" in page.url
