"""AppTest of uploads: hostile files give messages, carried decisions wait for a facilitator.

Uploaded files are put in the session as the Données page's widget would (``zone_upload``).
"""

from __future__ import annotations

from pathlib import Path

import hostile
import pytest
from streamlit.testing.v1 import AppTest

from eit_geo import store, upload
from eit_geo.datafiles import example_path
from eit_geo.export import export_zone
from eit_geo.loading import load_zone
from eit_geo.sandbox import SandboxError
from eit_geo.ui import access, atelier

REPO = Path(__file__).resolve().parents[1]
DONNEES = str(REPO / "pages" / "donnees.py")
ATELIER = str(REPO / "pages" / "atelier.py")
NEW = "forsyning>refinery:process_water>process_water"  # a Kalundborg water lead
OLD = "refinery>gyproc:fuel_gas>fuel_gas"  # an exchange running since 1972


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    monkeypatch.setenv(store.DATABASE_ENV, url)
    return url


def open_page(page: str, files: list[tuple[str, bytes]] | None, **state: object) -> AppTest:
    app = AppTest.from_file(page, default_timeout=120)
    app.session_state["lang"] = "fr"
    app.session_state["zone_source"] = str(example_path("kalundborg"))
    if files is not None:
        app.session_state["zone_upload"] = tuple(files)
    for key, value in state.items():
        app.session_state[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.process
def test_a_hostile_upload_gives_a_message_not_a_crash(mini_dir: Path) -> None:
    files = [
        ("companies.csv", hostile.wide_csv()),
        ("flows.csv", (mini_dir / "flows.csv").read_bytes()),
    ]
    app = open_page(DONNEES, files)
    assert app.error[0].value == "1 problème(s) : rien n'a été chargé."
    table = app.dataframe[0].value
    assert table.iloc[0].tolist()[-1] == "trop de colonnes (plus de 500)"
    assert "limits." not in str(table)


def test_the_upload_help_says_the_widgets_limit_in_its_unit() -> None:
    app = open_page(DONNEES, None)
    uploader = app.get("file_uploader")[0]
    assert uploader.proto.max_upload_size_mb == 50
    limits = next(c.value for c in app.caption if "Parcourir" in c.value)
    assert "50 Mo au plus en tout (1 Mo = 1 000 000 octets), 200\u202f000 lignes par tableau" in (
        limits
    )


def _crafted_project(tmp_path: Path) -> tuple[str, bytes]:
    """Kalundborg exported with decisions forged in another store: a rejected exchange that runs,
    a « Préfet de région » with a vote of 1,000,000 and a date in 2099."""
    zone = load_zone(example_path("kalundborg"))
    other = store.open_store(f"sqlite:///{tmp_path / 'forge.sqlite'}")
    store.record_decision(other, "k", OLD, {"status": "rejected"}, participant="Préfet de région")
    store.record_decision(other, "k", NEW, {"status": "retained"}, participant="Anne")
    store.vote(other, "k", NEW, participant="Anne", weight=2)
    layers = store.decision_layers(other, "k")
    other.dispose()
    layers["votes"].loc[len(layers["votes"])] = [
        NEW,
        "Préfet de région",
        1_000_000,
        "2024-01-01",
        "",
    ]
    layers["decisions"].loc[layers["decisions"]["candidate_id"] == OLD, "updated_at"] = (
        "2099-01-01T00:00:00+00:00"
    )
    path = export_zone(zone, tmp_path / "kalundborg.gpkg", extra_layers=layers)
    return path.name, path.read_bytes()


@pytest.mark.process
def test_carried_decisions_wait_for_a_facilitator(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [_crafted_project(tmp_path)]
    rights = {"import_decisions": False}  # a participant of a shared server, first
    given = access.may
    monkeypatch.setattr(access, "may", lambda right: rights.get(right, given(right)))
    app = open_page(ATELIER, files, atelier_participant="Claire")
    engine = store.open_store(database)
    upload_keys = {
        key for (key,) in engine.connect().exec_driver_sql("SELECT zone_key FROM decisions")
    }
    assert upload_keys == set()  # nothing written by the upload itself
    found = next(e for e in app.expander if e.label.startswith("Décisions contenues"))
    assert found.label == (
        "Décisions contenues dans « kalundborg.gpkg » : 1 à importer, 1 priorités, "
        "3 lignes écartées"
    )
    reasons = found.dataframe[-1].value["Raison"].tolist()
    assert reasons == [
        "date dans le futur : 2099-01-01 00:00 UTC",
        "historique d'une décision qui n'est pas importée",
        "priorité « 1000000 » : attendu 0, 1, 2 ou 3",
    ]
    button = next(b for b in found.button if b.label == "Importer ces décisions dans l'atelier")
    assert button.disabled
    rights["import_decisions"] = True  # the facilitator
    app = open_page(ATELIER, files, atelier_participant="Claire")
    found = next(e for e in app.expander if e.label.startswith("Décisions contenues"))
    next(b for b in found.button if b.label.startswith("Importer")).click().run()
    assert not app.exception, app.exception
    assert app.success[0].value == "1 décisions importées de « kalundborg.gpkg »."
    keys = {key for (key,) in engine.connect().exec_driver_sql("SELECT zone_key FROM decisions")}
    assert len(keys) == 1
    key = keys.pop()
    assert key.startswith("upload:kalundborg-")
    table = store.get_decisions(engine, key)
    assert table[["candidate_id", "status", "imported_from"]].to_numpy().tolist() == [
        [NEW, "retained", "kalundborg.gpkg"]
    ]
    assert store.get_decisions(engine, store.zone_key(load_zone(example_path("kalundborg")))).empty
    engine.dispose()


def test_a_store_error_keeps_what_was_typed(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    del database
    app = open_page(ATELIER, None)
    app.text_input(key="atelier_participant_input").set_value("Anne")
    app.selectbox(key="atelier_chosen_input").set_value(NEW)
    app.run()

    def busy(*_args: object, **_kwargs: object) -> None:
        message = "the decision store refused the change again and again; try again"
        raise store.StoreBusyError(message)

    monkeypatch.setattr(atelier.store, "record_decision", busy)
    comment = f"atelier_comment_0_{NEW}"
    app.text_area(key=comment).set_value("devis demandé à Novo")
    next(b for b in app.button if b.label == "Enregistrer la décision").click().run()
    assert not app.exception, app.exception
    assert app.error[0].value.startswith("La décision n'a pas été enregistrée")
    assert app.text_area(key=comment).value == "devis demandé à Novo"


def test_a_worker_refusal_is_said_on_the_page(
    monkeypatch: pytest.MonkeyPatch, mini_dir: Path
) -> None:
    def stopped(*_args: object, **_kwargs: object) -> None:
        raise SandboxError(key="limits.timeout", seconds="60")

    monkeypatch.setattr(upload, "run_bounded", stopped)
    files = [(p.name, p.read_bytes()) for p in sorted(mini_dir.iterdir())]
    app = open_page(DONNEES, files)
    table = app.dataframe[0].value
    assert table.iloc[0].tolist()[-1] == "la lecture a dépassé 60 s : fichier refusé"
