"""AppTest of the Atelier page: board, decision form, votes, two sessions on one store."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.export import export_zone
from eit_geo.loading import load_zone

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "atelier.py")
NEW = "forsyning>refinery:process_water>process_water"  # a Kalundborg water lead
OLD = "refinery>gyproc:fuel_gas>fuel_gas"  # an exchange running since 1972


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    monkeypatch.setenv(store.DATABASE_ENV, url)
    return url


def open_page(lang: str = "fr", zone: Path | None = None, **state: object) -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.session_state["lang"] = lang
    app.session_state["zone_source"] = str(zone or example_path("kalundborg"))
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def open_lead(app: AppTest, candidate: str, participant: str | None = None) -> AppTest:
    if participant is not None:
        app.text_input(key="atelier_participant_input").set_value(participant)
    app.selectbox(key="atelier_chosen_input").set_value(candidate)
    app.run()
    assert not app.exception, app.exception
    return app


def field(candidate: str, version: int, name: str) -> str:
    return f"atelier_{name}_{version}_{candidate}"


def save(app: AppTest) -> AppTest:
    next(b for b in app.button if b.label == "Enregistrer la décision").click().run()
    assert not app.exception, app.exception
    return app


def metric(app: AppTest, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def test_board_lists_every_lead(database: str) -> None:
    del database
    app = open_page()
    assert app.title[0].value == "Atelier"
    board = app.dataframe[0].value
    assert len(board) == 24  # the fly ash to Aalborg, stopped in 2019, is no longer in place
    assert set(board["Décision de l'atelier"]) == {"à étudier", "en place"}
    assert app.info[0].value.startswith("Ouvrez une piste")
    assert metric(app, "Synergies retenues par l'atelier") == "0"
    assert metric(app, "Synergies en place") == "19"


def test_a_synergy_stopped_in_2010_is_a_lead_again(database: str, tmp_path: Path) -> None:
    del database
    folder = tmp_path / "kalundborg"
    shutil.copytree(example_path("kalundborg"), folder)
    synergies = folder / "synergies.csv"
    line = "asnaes,gyproc,10 01 05,150000,t/yr,1993,,"  # the FGD gypsum, in place since 1993
    text = synergies.read_text(encoding="utf-8")
    assert text.count(line) == 1
    synergies.write_text(text.replace(line, "asnaes,gyproc,10 01 05,150000,t/yr,1993,2010,"))
    app = open_page(zone=folder)
    assert metric(app, "Synergies en place") == "18"  # of 20 declared: gypsum and fly ash stopped
    board = app.dataframe[0].value
    assert len(board) == 24  # 18 in place, 5 leads, and the gypsum as a lead
    assert (board["Décision de l'atelier"] == "en place").sum() == 18
    gypsum = "asnaes>gyproc:10 01 05>gypsum"
    open_lead(app, gypsum)
    assert app.radio(key=field(gypsum, 0, "status")).value == "to_study"


def test_a_decision_needs_a_name(database: str) -> None:
    app = open_lead(open_page(), NEW)
    app.radio(key=field(NEW, 0, "status")).set_value("retained")
    save(app)
    assert "Indiquez votre nom" in app.error[0].value
    engine = store.open_store(database)
    assert store.get_decisions(engine, store.zone_key(_zone())).empty


def _zone() -> object:
    return load_zone(example_path("kalundborg"))


def test_decide_and_see_the_selected_scenario_change(database: str) -> None:
    app = open_lead(open_page(), NEW, participant="Anne Martin")
    water_before = metric(app, "Eau économisée (m³/an)")
    app.radio(key=field(NEW, 0, "status")).set_value("retained")
    app.selectbox(key=field(NEW, 0, "technical")).set_value("ok")
    app.text_input(key=field(NEW, 0, "regulatory_note")).set_value("Arrêté à modifier <b>")
    app.text_area(key=field(NEW, 0, "comment")).set_value("Devis de raccordement demandé")
    save(app)
    assert app.success[0].value == "Décision enregistrée (statut : retenue)."
    assert metric(app, "Synergies retenues par l'atelier") == "1"
    assert metric(app, "Eau économisée (m³/an)") != water_before
    engine = store.open_store(database)
    row = store.get_decisions(engine, store.zone_key(_zone())).iloc[0]
    assert (row["candidate_id"], row["status"], row["technical"]) == (NEW, "retained", "ok")
    assert row["regulatory_note"] == "Arrêté à modifier <b>"
    assert row["participant"] == "Anne Martin"
    assert app.session_state["selected_candidates"].count(NEW) == 1
    # the form now shows version 1, and a rejected existing exchange leaves the selection
    assert app.radio(key=field(NEW, 1, "status")).value == "retained"
    open_lead(app, OLD)
    app.radio(key=field(OLD, 0, "status")).set_value("rejected")
    save(app)
    assert OLD not in app.session_state["selected_candidates"]
    assert metric(app, "Synergies en place") == "18"


def test_two_sessions_on_one_lead_both_kept(database: str) -> None:
    anne = open_lead(open_page(), NEW, participant="Anne")
    bruno = open_lead(open_page(), NEW, participant="Bruno")
    anne.radio(key=field(NEW, 0, "status")).set_value("retained")
    save(anne)
    bruno.selectbox(key=field(NEW, 0, "economic")).set_value("watch")
    save(bruno)  # Bruno's form still showed version 0: only his change is written
    assert "Entre-temps, 1 autre(s) modification(s)" in bruno.success[0].value
    engine = store.open_store(database)
    key = store.zone_key(_zone())
    row = store.get_decisions(engine, key).iloc[0]
    assert (row["status"], row["economic"], row["version"]) == ("retained", "watch", 2)
    assert store.history(engine, key, NEW)["participant"].tolist() == ["Anne", "Bruno"]
    anne.run()
    assert anne.radio(key=field(NEW, 2, "status")).value == "retained"
    assert anne.selectbox(key=field(NEW, 2, "economic")).value == "watch"


def test_vote_and_sort_by_votes(database: str) -> None:
    app = open_lead(open_page(), NEW, participant="Chloé")
    app.segmented_control(key=f"atelier_vote_{NEW}_Chloé").set_value(3).run()
    assert not app.exception
    engine = store.open_store(database)
    votes = store.get_votes(engine, store.zone_key(_zone()))
    assert votes.to_dict("records") == [
        {"candidate_id": NEW, "votes": 1, "points": 3, "voters": "Chloé"}
    ]
    app.segmented_control(key="atelier_sort").set_value("points").run()
    board = app.dataframe[0].value
    assert board["Points de priorité"].iloc[0] == 3


def test_filter_by_status(database: str) -> None:
    del database
    app = open_page()
    app.pills(key="atelier_statuses").set_value(["to_study"]).run()
    board = app.dataframe[0].value
    assert set(board["Décision de l'atelier"]) == {"à étudier"}
    assert len(board) == 5


def test_history_and_english(database: str) -> None:
    del database
    app = open_lead(open_page(lang="en"), NEW, participant="Dan")
    app.radio(key=field(NEW, 0, "status")).set_value("rejected")
    next(b for b in app.button if b.label == "Save the decision").click().run()
    assert app.success[0].value == "Decision saved (status: rejected)."
    history = next(e for e in app.expander if e.label.startswith("History"))
    table = history.dataframe[0].value
    assert table["Last changed by"].tolist() == ["Dan"]
    assert table["Changes"].tolist() == ["status"]


def test_decisions_come_back_with_the_geopackage(database: str, tmp_path: Path) -> None:
    """A project GeoPackage exported with its decisions brings them back when opened."""
    zone = _zone()
    source = store.open_store(f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    key = store.zone_key(zone)
    store.record_decision(
        source, key, NEW, {"status": "retained", "economic": "ok"}, participant="Anne"
    )
    store.vote(source, key, NEW, participant="Anne", weight=2)
    path = export_zone(
        zone, tmp_path / "kalundborg.gpkg", extra_layers=store.decision_layers(source, key)
    )
    source.dispose()
    app = open_lead(open_page(zone_source=str(path)), NEW)
    assert metric(app, "Synergies retenues par l'atelier") == "1"
    assert app.radio(key=field(NEW, 1, "status")).value == "retained"
    assert app.selectbox(key=field(NEW, 1, "economic")).value == "ok"
    engine = store.open_store(database)
    assert store.get_votes(engine, key)["points"].tolist() == [2]
    assert store.history(engine, key, NEW)["participant"].tolist() == ["Anne"]
