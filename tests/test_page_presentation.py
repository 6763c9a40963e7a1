"""AppTest of the Présentation page: large key figures, anonymised by default, full screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "presentation.py")
NEW = "forsyning>refinery:process_water>process_water"
TILE_HOSTS = ("tile.openstreetmap.org", "basemaps.cartocdn.com")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    monkeypatch.setenv(store.DATABASE_ENV, url)
    engine = store.open_store(url)
    key = store.zone_key(load_zone(example_path("kalundborg")))
    store.record_decision(
        engine,
        key,
        NEW,
        {"status": "retained", "comment": "Voir M. Dupont"},
        participant="Anne Martin",
    )
    engine.dispose()
    return url


def open_page(lang: str = "fr") -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lang"] = lang
    app.session_state["zone_source"] = str(example_path("kalundborg"))
    app.run()
    assert not app.exception, app.exception
    return app


def shown_text(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [f"{m.label} {m.value}" for m in app.metric] + [t.value for t in app.title]
    return "\n".join(parts)


def test_anonymised_by_default(database: str) -> None:
    del database
    app = open_page()
    assert app.toggle(key="presentation_anonymised").value is True
    text = shown_text(app)
    assert "Vue anonymisée" in text
    assert app.title[0].value == "Synergies industrielles — Kalundborg (Danemark)"  # its label
    for name in load_zone(example_path("kalundborg")).companies["name"]:
        assert name not in text
    assert "Entreprise " in text
    assert "** : Eau de procédé" in text  # French puts a space before the colon
    assert "eau et déchets" in text  # the retained lead, by its sector (section: k-anonymous)
    assert "raffinage" not in text  # the zone's one refinery is not singled out
    assert "Dupont" not in text
    assert "Anne" not in text


def map_script(app: AppTest) -> str:
    return "".join(c.proto.json_args for c in app.get("component_instance"))


def test_anonymised_map_asks_no_tile_server(database: str) -> None:
    del database
    app = open_page()
    assert "L.map(" in map_script(app)
    for host in TILE_HOSTS:
        assert host not in map_script(app)  # no tile, not even as a choice
    app.toggle(key="presentation_anonymised").set_value(False).run()
    assert "tile.openstreetmap.org" in map_script(app)  # the named view keeps the basemap


def test_key_figures_in_large_type(database: str) -> None:
    """The gain of the retained leads first, large and green; the totals second."""
    del database
    app = open_page()
    metrics = [(m.label, m.value) for m in app.metric]
    gains, totals = metrics[:3], dict(metrics[3:])
    assert gains[0] == ("Synergies retenues", "+1")
    # the retained lead's, short, and an estimate as its quantity is
    assert gains[1] == ("Eau économisée (m³/an)", "≈ +1\u00a0M")
    assert gains[2][0] == "CO₂ évité (net) (t CO₂e/an)"
    assert gains[2][1].startswith("≈ +")
    assert totals["Synergies en place"] == "19"  # of 20: the fly ash stopped in 2019
    assert totals["Eau économisée (m³/an)"] == "≈ 2,7\u00a0M"
    assert totals["Tonnes détournées (t/an)"] == "≈ 451\u202f000"
    assert not any("transport" in label for label in totals)
    assert len(totals) == 5
    style = "".join(h.proto.body for h in app.get("html"))
    assert 'stMetricValue"] { font-size: 3rem' in style  # 48 px: read from the back
    assert '.st-key-presentation_gain [data-testid="stMetricValue"] { font-size: 4rem' in style
    assert "stSidebar" not in style


def test_gain_says_when_nothing_is_retained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(store.DATABASE_ENV, f"sqlite:///{tmp_path / 'empty.sqlite'}")
    app = open_page()
    assert "Aucune piste retenue pour l'instant" in app.info[0].value
    assert app.metric[0].label == "Synergies en place"


def test_named_view_and_full_screen(database: str) -> None:
    del database
    app = open_page("en")
    app.toggle(key="presentation_anonymised").set_value(False)
    switch = app.toggle(key="presentation_fullscreen")
    assert switch.label == "Full screen"  # short enough for its column; what it does in help
    assert switch.help == "Hides the menu and the header: the page fits the projector's screen."
    switch.set_value(True).run()
    assert not app.exception
    text = shown_text(app)
    assert "Kalundborg Forsyning" in text
    assert "Raffinerie de Kalundborg" in text
    assert "Denmark\\)**: Process water" in text  # no French space before « : »
    assert "** : " not in text
    assert "Anonymised view" not in text
    style = "".join(h.proto.body for h in app.get("html"))
    assert '[data-testid="stSidebar"]' in style
