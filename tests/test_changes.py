"""« Depuis la dernière réunion »: what changed since a date, from the histories and snapshots."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from eit_geo import changes, plan, plan_store, store, workshop
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions
from eit_geo.network_years import current_year

YEAR = current_year()
COMPANIES = """identifiant;nom;latitude;longitude
papeterie;Papeterie du Val;45,100;5,700
chaufferie;Chaufferie bois;45,110;5,710
serres;Serres maraîchères;45,120;5,720
"""
FLOWS = """entreprise;sens;ressource;quantité;unité
papeterie;sortie;03 03 01;500;t/an
papeterie;sortie;waste_heat;3000;MWh/an
chaufferie;entrée;03 03 01;900;t/an
chaufferie;sortie;hot_water;2000;MWh/an
serres;entrée;hot_water;2500;MWh/an
serres;entrée;03 03 01;100;t/an
"""
SYNERGIES = f"""fournisseur;receveur;ressource;quantité;unité;depuis;jusqu'à
papeterie;chaufferie;03 03 01;400;t/an;2006;{YEAR}
chaufferie;serres;hot_water;1800;MWh/an;2008;
"""


def _zone(folder: Path, companies: str = COMPANIES, flows: str = FLOWS):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (
        ("entreprises.csv", companies),
        ("flux.csv", flows),
        ("synergies.csv", SYNERGIES),
    ):
        (folder / name).write_text(text, encoding="utf-8")
    return load_zone(folder, name="vallee")


@pytest.fixture
def engine(tmp_path: Path):
    return plan_store.prepare(store.open_store(f"sqlite:///{tmp_path / 'store.sqlite'}"))


def _changes(zone, engine, since: datetime, then=None) -> changes.Changes:
    board = workshop.build_board(
        find_substitutions(zone),
        store.get_decisions(engine, "z"),
        store.get_votes(engine, "z"),
    )
    today = date.today()
    return changes.changes_since(
        zone,
        board,
        since=since,
        decisions=store.history(engine, "z"),
        steps=plan_store.step_history(engine, "z"),
        plan=plan.plan_board(board, plan_store.get_steps(engine, "z"), today=today),
        realised=plan_store.realised_history(engine, "z"),
        then=then,
        today=today,
        lang="fr",
    )


def test_the_snapshot_holds_rows_and_totals(tmp_path: Path) -> None:
    snapshot = changes.zone_snapshot(_zone(tmp_path / "v1"))
    assert snapshot["companies"][0] == ["papeterie", "Papeterie du Val"]
    assert ["papeterie", "output", "03 03 01", 500.0, "t/yr"] in snapshot["flows"]
    assert snapshot["synergies"][0] == [
        "papeterie", "chaufferie", "03 03 01", 400.0, "t/yr", 2006.0, float(YEAR),
    ]  # fmt: skip
    assert snapshot["totals"]["energy_recovered_mwh"] == pytest.approx(1800.0)
    assert snapshot["totals"]["tonnes_diverted"] == 0.0  # the wood exchange stops this year


def test_decisions_steps_and_figures_since_the_meeting(tmp_path: Path, engine) -> None:
    zone = _zone(tmp_path / "v1")
    candidates = find_substitutions(zone)
    lead = str(candidates.loc[candidates["status"] == "candidate", "candidate_id"].iloc[0])
    existing = str(candidates.loc[candidates["status"] == "existing", "candidate_id"].iloc[-1])
    store.record_decision(engine, "z", lead, {"status": "retained"}, participant="Anne")
    meeting = datetime.now(UTC)
    store.record_decision(engine, "z", lead, {"comment": "devis"}, participant="Anne")
    store.record_decision(engine, "z", existing, {"status": "rejected"}, participant="Marc")
    plan_store.record_step(
        engine, "z", lead, {"step": "Devis", "due": "2020-02-01", "state": "done"}, participant="B"
    )
    found = _changes(zone, engine, meeting)
    assert found.section("leads").empty  # retained before the meeting, still retained
    (stopped,) = found.section("synergies_stopped")["text"][
        found.section("synergies_stopped")["who"] == "Marc"
    ]
    assert stopped.endswith("en place → écartée")
    done = found.section("steps_done")
    assert done["text"].str.contains("étape « Devis » faite").tolist() == [True]
    assert found.section("steps_late").empty  # done, so not late
    assert found.compared_with is None
    assert found.notes
    assert found.notes[0].startswith("Aucun état des données")

    earlier = _changes(zone, engine, meeting - timedelta(days=1))
    (line,) = earlier.section("leads")["text"]
    assert line.endswith("à étudier → retenue")
    assert earlier.section("leads")["who"].tolist() == ["Anne"]


def test_the_years_of_the_data_say_what_started_and_stopped(tmp_path: Path, engine) -> None:
    zone = _zone(tmp_path / "v1")
    found = _changes(zone, engine, datetime(YEAR, 1, 1, tzinfo=UTC))
    (stopped,) = found.section("synergies_stopped")["text"]
    assert stopped.endswith(f"Papeterie du Val → Chaufferie bois : arrêtée en {YEAR}")
    long_ago = _changes(zone, engine, datetime(2007, 1, 1, tzinfo=UTC))
    assert long_ago.section("synergies_started")["text"].str.endswith("en place depuis 2008").any()


def test_data_added_removed_and_moved_against_the_snapshot(tmp_path: Path, engine) -> None:
    before = _zone(tmp_path / "v1")
    plan_store.record_snapshot(engine, "z", before.fingerprint(), changes.zone_snapshot(before))
    meeting = datetime.now(UTC) + timedelta(seconds=1)
    after = _zone(
        tmp_path / "v2",
        companies=COMPANIES + "methan;Méthaniseur du Val;45,130;5,730\n",
        flows=FLOWS.replace("papeterie;sortie;waste_heat;3000;MWh/an\n", "").replace(
            "chaufferie;sortie;hot_water;2000", "chaufferie;sortie;hot_water;2600"
        )
        + "methan;entrée;02 01 06;1200;t/an\n",
    )
    then = plan_store.snapshot_before(engine, "z", meeting)
    found = _changes(after, engine, meeting, then=then)
    assert found.compared_with is not None
    assert found.section("companies_added")["text"].tolist() == ["Méthaniseur du Val"]
    assert found.section("companies_removed").empty
    assert found.section("flows_added")["text"].str.startswith("Méthaniseur du Val cherche").all()
    assert found.section("flows_removed")["text"].str.startswith("Papeterie du Val donne").all()
    moved = found.section("figures")["text"].tolist()
    assert any("2\u202f000 MWh/an → 2\u202f600 MWh/an" in line for line in moved)


def test_realised_figures_recorded_since_the_meeting(tmp_path: Path, engine) -> None:
    zone = _zone(tmp_path / "v1")
    meeting = datetime.now(UTC) - timedelta(seconds=1)
    row = {
        "from_id": "chaufferie",
        "to_id": "serres",
        "resource": "hot_water",
        "year": YEAR - 1,
        "month": 1,
        "quantity": 150.5,
        "unit": "MWh/yr",
        "status": "estimated",
        "source": "compteur",
    }
    plan_store.record_realised(engine, "z", row, participant="Lise")
    plan_store.record_realised(engine, "z", {**row, "quantity": None}, participant="Lise")
    lines = _changes(zone, engine, meeting).section("figures")
    assert (
        lines["text"].tolist()[1].endswith(f"150,5 MWh/an échangés en janvier {YEAR - 1} (estimé)")
    )
    assert lines["text"].tolist()[0].endswith(f"chiffre de janvier {YEAR - 1} retiré")
    assert set(lines["who"]) == {"Lise"}
    assert isinstance(lines["when"].iloc[0], pd.Timestamp)
