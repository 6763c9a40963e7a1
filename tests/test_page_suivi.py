"""AppTest of what comes after the workshop: the step of a lead (Atelier), the Suivi page, the
realised scenario (Indicateurs)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from eit_geo import plan_store, store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.network_years import current_year
from eit_geo.ui.plan import today as dashboard_today  # the time zone steps are late in

PAGES = Path(__file__).resolve().parents[1] / "pages"
NEW = "forsyning>refinery:process_water>process_water"  # a Kalundborg water lead
GYPSUM = "asnaes>gyproc:10 01 05"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    monkeypatch.setenv(store.DATABASE_ENV, url)
    return url


def _key() -> str:
    return store.zone_key(load_zone(example_path("kalundborg")))


def _engine(url: str):
    return plan_store.prepare(store.open_store(url))


def open_page(page: str, lang: str = "fr", **state: object) -> AppTest:
    app = AppTest.from_file(str(PAGES / f"{page}.py"), default_timeout=120)
    app.session_state["lang"] = lang
    app.session_state["zone_source"] = str(example_path("kalundborg"))
    app.session_state["atelier_participant"] = "Claire Dubois"
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def click(app: AppTest, label: str) -> AppTest:
    next(b for b in app.button if b.label == label).click().run()
    assert not app.exception, app.exception
    return app


def test_a_retained_lead_gets_its_step_in_the_atelier(database: str) -> None:
    store.record_decision(_engine(database), _key(), NEW, {"status": "retained"}, participant="A")
    app = open_page("atelier", atelier_chosen=NEW)
    assert any(m.value == "**Plan d'action : prochaine étape**" for m in app.markdown)
    app.text_area(key=f"plan_step_0_{NEW}").set_value("Analyse de la qualité de l'eau")
    app.selectbox(key=f"plan_carrier_0_{NEW}").set_value("refinery")
    late = dashboard_today() - timedelta(days=3)
    app.date_input(key=f"plan_due_0_{NEW}").set_value(late)
    app.radio(key=f"plan_state_0_{NEW}").set_value("doing")
    click(app, "Enregistrer l'étape")
    assert app.success[0].value == "Étape enregistrée (en cours)."
    row = plan_store.get_steps(_engine(database), _key()).iloc[0]
    assert (row["step"], row["carrier"], row["due"], row["state"], row["participant"]) == (
        "Analyse de la qualité de l'eau",
        "refinery",
        late.isoformat(),
        "doing",
        "Claire Dubois",
    )
    warning = app.warning[0].value
    assert warning.startswith("1 étape(s) en retard")
    assert "Raffinerie de Kalundborg" in warning
    assert "3 j de retard" in warning
    assert "Historique du plan (1)" in [e.label for e in app.expander]


def test_an_in_place_lead_has_a_step_form_a_studied_one_none(database: str) -> None:
    del database
    app = open_page("atelier", atelier_chosen=NEW)
    assert not any(m.value == "**Plan d'action : prochaine étape**" for m in app.markdown)


def test_the_plan_tab_lists_and_exports_the_plan(database: str) -> None:
    engine = _engine(database)
    store.record_decision(engine, _key(), NEW, {"status": "retained"}, participant="A")
    plan_store.record_step(
        engine, _key(), NEW, {"step": "Visite", "carrier": plan_store.FACILITATOR}, participant="A"
    )
    app = open_page("suivi")
    assert app.title[0].value == "Suivi du réseau"
    plan = next(d.value for d in app.dataframe if "Prochaine étape" in d.value.columns)
    assert plan["Prochaine étape"].tolist() == ["Visite"]
    assert plan["Portée par"].tolist() == ["l'animateur"]
    assert plan["État"].tolist() == ["à faire"]
    assert any(b.label == "Plan d'action (XLSX)" for b in app.get("download_button"))


def _record(app: AppTest, year: int, quantity: float, status: str = "measured") -> AppTest:
    app.number_input(key=f"suivi_year_{GYPSUM}").set_value(year)
    app.number_input(key=f"suivi_quantity_{GYPSUM}").set_value(quantity)
    app.radio(key=f"suivi_status_{GYPSUM}").set_value(status)
    app.text_input(key=f"suivi_source_{GYPSUM}").set_value("bilan matière Gyproc")
    return click(app, "Enregistrer")


def test_realised_quantities_are_typed_and_charted(database: str) -> None:
    app = open_page("suivi", suivi_synergy=GYPSUM)
    assert "Aucun chiffre réalisé pour l'instant." in [c.value for c in app.caption]
    _record(app, 2023, 141_000.0)
    assert app.success[0].value == "Quantité 2023 enregistrée."
    _record(app, 2024, 128_000.0, status="estimated")
    figures = plan_store.get_realised(_engine(database), _key())
    assert figures[["year", "quantity", "status"]].to_numpy().tolist() == [
        [2023, 141_000.0, "measured"],
        [2024, 128_000.0, "estimated"],
    ]
    assert set(figures["participant"]) == {"Claire Dubois"}
    charts = app.get("plotly_chart")
    assert len(charts) >= 2  # the synergy's, the network's (and the timeline)
    assert "Chiffres saisis (2)" in [e.label for e in app.expander]


def test_a_quantity_needs_a_name(database: str) -> None:
    app = open_page("suivi", suivi_synergy=GYPSUM, atelier_participant="")
    _record(app, 2023, 10.0)
    assert "Indiquez votre nom" in app.error[0].value
    assert plan_store.get_realised(_engine(database), _key()).empty


def test_the_network_in_1995_and_today(database: str) -> None:
    del database
    app = open_page("suivi", suivi_year_left=1995, suivi_year_right=current_year())
    captions = [c.value for c in app.caption]
    assert "11 entreprise(s), 13 synergie(s) en place" in captions  # no Bioenergi yet
    assert "12 entreprise(s), 19 synergie(s) en place" in captions  # fly ash gone, biogas came
    assert any("sans année de début" in c for c in captions)


def test_since_the_last_meeting(database: str) -> None:
    engine = _engine(database)
    key = _key()
    open_page("suivi")  # keeps today's state of the data
    store.record_decision(engine, key, NEW, {"status": "retained"}, participant="Anne")
    plan_store.record_step(
        engine, key, NEW, {"step": "Visite", "due": "2020-01-31"}, participant="Anne"
    )
    plan_store.record_realised(
        engine,
        key,
        {
            "from_id": "asnaes",
            "to_id": "gyproc",
            "resource": "10 01 05",
            "year": 2024,
            "quantity": 128_000.0,
            "unit": "t/yr",
            "status": "measured",
            "source": "",
        },
        participant="Marc",
    )
    app = open_page("suivi", suivi_since=dashboard_today())
    text = "\n".join(m.value for m in app.markdown)
    assert "**Pistes dont la décision a changé** (1)" in text
    assert "à étudier → retenue" in text
    assert "**Étapes en retard** (1)" in text
    assert "**Chiffres qui ont bougé** (1)" in text
    assert "128\u202f000 t/an échangés en 2024 \\(mesuré\\)" in text


def test_the_realised_scenario_on_the_indicators_page(database: str) -> None:
    engine = _engine(database)
    for year, quantity in ((2023, 100_000.0), (2024, 130_000.0)):
        plan_store.record_realised(
            engine,
            _key(),
            {
                "from_id": "asnaes",
                "to_id": "gyproc",
                "resource": "10 01 05",
                "year": year,
                "quantity": quantity,
                "unit": "t/yr",
                "status": "measured",
                "source": "",
            },
            participant="Claire",
        )
    app = open_page("indicateurs")
    app.radio(key="indicateurs_scenario").set_value("realised").run()
    assert not app.exception, app.exception
    tonnes = next(m for m in app.metric if m.label.startswith("Tonnes détournées"))
    assert tonnes.value == "130\u202f000"
    assert "1 synergie(s) sur 19 en place ont un chiffre réalisé en 2024." in [
        c.value for c in app.caption
    ]
    app.selectbox(key="indicateurs_realised_year").set_value(2023).run()
    tonnes = next(m for m in app.metric if m.label.startswith("Tonnes détournées"))
    assert tonnes.value == "100\u202f000"


HOSTILE = "![x](http://evil.example/p.png) **gras** <img src=x onerror=alert(1)>"


def test_typed_texts_are_shown_as_typed(database: str) -> None:
    engine = _engine(database)
    key = _key()
    store.record_decision(engine, key, NEW, {"status": "retained"}, participant="A")
    plan_store.record_step(
        engine, key, NEW, {"step": HOSTILE, "due": "2020-01-31"}, participant="A"
    )
    app = open_page("suivi", suivi_since=date(2020, 1, 1))
    texts = [w.value for w in app.warning] + [m.value for m in app.markdown]
    mentions = [text for text in texts if "evil\\.example" in text]
    assert len(mentions) == 3  # the late step (warning), late and changed since the meeting
    for text in mentions:
        assert "\\!\\[x\\]\\(http\\://evil\\.example/p\\.png\\)" in text
        assert "\\*\\*gras\\*\\*" in text
        assert "\\<img" in text


@pytest.mark.parametrize(
    ("lang", "button", "limits"),
    [
        ("fr", '"Parcourir"', "XLSX ou CSV, 50 Mo au plus."),
        ("en", '"Browse"', "XLSX or CSV, at most 50 MB."),
    ],
)
def test_the_sheet_upload_box_speaks_the_interfaces_language(
    database: str, lang: str, button: str, limits: str
) -> None:
    """Streamlit's own English (« Browse files », « Limit 50MB per file ») hidden, as on Données."""
    del database
    app = open_page("suivi", lang)
    assert any(
        u.label in ("Tableur rempli", "Filled spreadsheet") for u in app.get("file_uploader")
    )
    styles = [str(h.proto.body) for h in app.get("html")]
    assert any(
        f"--eit-upload-button: {button}" in s and "DropzoneInstructions" in s for s in styles
    )
    assert any(limits in c.value for c in app.caption), [c.value for c in app.caption]
