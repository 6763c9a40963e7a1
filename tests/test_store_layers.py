"""Decisions carried by a GeoPackage: written, read back, previewed, checked and imported.

On SQLite and on the throwaway PostgreSQL cluster of ``conftest.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import pytest
import test_store

from eit_geo import store
from eit_geo.datafiles import example_path
from eit_geo.export import export_zone
from eit_geo.loading import load_zone

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

# the store's fixtures: SQLite and the throwaway PostgreSQL cluster (postgres_url, conftest.py),
# a fresh zone key per test
url, engine, zone = (test_store.url, test_store.engine, test_store.zone)


def test_decisions_travel_in_the_geopackage(engine: Engine, zone: str, tmp_path: Path) -> None:
    kalundborg = load_zone(example_path("kalundborg"))
    store.record_decision(
        engine,
        zone,
        "c1",
        {"status": "retained", "regulatory": "watch", "regulatory_note": "sortie de déchet"},
        participant="Anne",
    )
    store.record_decision(engine, zone, "c1", {"status": "in_place"}, participant="Bruno")
    store.record_decision(engine, zone, "c2", {"status": "rejected"}, participant="Chloé")
    store.vote(engine, zone, "c1", participant="Chloé", weight=3)
    path = export_zone(
        kalundborg, tmp_path / "kalundborg.gpkg", extra_layers=store.decision_layers(engine, zone)
    )
    assert store.zone_key(load_zone(path)) == store.zone_key(kalundborg)

    layers = store.read_decision_layers(path)
    assert sorted(layers) == ["decision_history", "decisions", "votes"]
    fresh = store.open_store(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    store.record_decision(fresh, "z", "c2", {"status": "retained"}, participant="Live")
    assert store.restore_decisions(fresh, "z", layers) == 1  # c2 is live: kept as is
    table = store.get_decisions(fresh, "z").set_index("candidate_id")
    assert table.at["c1", "status"] == "in_place"
    assert table.at["c1", "regulatory_note"] == "sortie de déchet"
    assert table.at["c1", "version"] == 2
    assert table.at["c2", "participant"] == "Live"
    before = store.history(engine, zone, "c1")
    after = store.history(fresh, "z", "c1")
    assert after["participant"].tolist() == before["participant"].tolist() == ["Anne", "Bruno"]
    pd.testing.assert_series_equal(after["changed_at"], before["changed_at"])
    assert store.get_votes(fresh, "z")["points"].tolist() == [3]
    assert store.restore_decisions(fresh, "z", layers) == 0
    fresh.dispose()


def test_read_decision_layers_of_a_plain_zone(tmp_path: Path) -> None:
    path = export_zone(load_zone(example_path("parc-rural")), tmp_path / "p.gpkg")
    assert store.read_decision_layers(path) == {}
    assert store.read_decision_layers(tmp_path / "missing.gpkg") == {}


def _crafted_layers() -> dict[str, pd.DataFrame]:
    """What a crafted GeoPackage carries: forged names, dates, statuses and weights."""
    decisions = pd.DataFrame(
        [
            {"candidate_id": "c1", "status": "retained", "participant": "Anne",
             "updated_at": "2024-03-01T10:00:00+00:00", "version": 2},
            {"candidate_id": "c2", "status": "rejected", "participant": "Préfet de région",
             "updated_at": "2099-01-01T00:00:00+00:00", "version": 1},
            {"candidate_id": "c3", "status": "écartée", "participant": "Bruno",
             "updated_at": "2024-03-01T10:00:00+00:00", "version": 1},
            {"candidate_id": "ailleurs", "status": "retained", "participant": "Chloé",
             "updated_at": "2024-03-01T10:00:00+00:00", "version": 1},
            {"candidate_id": "live", "status": "rejected", "participant": "Dan",
             "updated_at": "2024-03-01T10:00:00+00:00", "version": 1},
        ]
    )  # fmt: skip
    history = pd.DataFrame(
        [
            {"candidate_id": "c1", "version": 1, "status": "to_study", "changed": "status",
             "participant": "Anne", "changed_at": "2024-02-01T10:00:00+00:00"},
            {"candidate_id": "c1", "version": 2, "status": "retained", "changed": "status",
             "participant": "Anne", "changed_at": "2024-03-01T10:00:00+00:00"},
            {"candidate_id": "c2", "version": 1, "status": "rejected", "changed": "status",
             "participant": "Préfet de région", "changed_at": "2099-01-01T00:00:00+00:00"},
        ]
    )  # fmt: skip
    votes = pd.DataFrame(
        [
            {"candidate_id": "c1", "participant": "Anne", "weight": 2,
             "voted_at": "2024-03-01T10:00:00+00:00"},
            {"candidate_id": "c1", "participant": "Préfet de région", "weight": 1_000_000,
             "voted_at": "2024-03-01T10:00:00+00:00"},
            {"candidate_id": "live", "participant": "Dan", "weight": 3,
             "voted_at": "2024-03-01T10:00:00+00:00"},
        ]
    )  # fmt: skip
    return {"decisions": decisions, "decision_history": history, "votes": votes}


def test_preview_refuses_forged_rows_and_keeps_live_decisions(engine: Engine, zone: str) -> None:
    store.record_decision(engine, zone, "live", {"status": "retained"}, participant="Eve")
    preview = store.preview_imported_decisions(
        _crafted_layers(),
        origin="projet.gpkg",
        candidates={"c1", "c2", "c3", "live"},
        engine=engine,
        zone=zone,
    )
    assert preview.decisions["candidate_id"].tolist() == ["c1"]
    assert preview.history["version"].tolist() == [1, 2]
    assert preview.votes[["participant", "weight"]].to_numpy().tolist() == [["Anne", 2]]
    assert preview.kept == ["live"]
    reasons = preview.refused.set_index(["layer", "row"])["reason"].to_dict()
    assert reasons == {
        ("decisions", 2): "date dans le futur : 2099-01-01 00:00 UTC",
        ("decisions", 3): "valeur non reconnue pour « status » : « écartée »",
        ("decisions", 4): "cette piste n'existe pas dans la zone",
        ("decision_history", 3): "historique d'une décision qui n'est pas importée",
        ("votes", 2): "priorité « 1000000 » : attendu 0, 1, 2 ou 3",
    }
    assert store.get_decisions(engine, zone)["candidate_id"].tolist() == ["live"]  # unwritten


def test_only_a_facilitator_imports_and_the_import_stays_marked(engine: Engine, zone: str) -> None:
    store.record_decision(engine, zone, "live", {"status": "retained"}, participant="Eve")
    preview = store.preview_imported_decisions(
        _crafted_layers(), origin="projet.gpkg", engine=engine, zone=zone, lang="en"
    )
    with pytest.raises(PermissionError):
        store.import_decisions(engine, zone, preview, by="Mallory")
    assert len(store.get_decisions(engine, zone)) == 1
    with pytest.raises(ValueError, match="participant"):
        store.import_decisions(engine, zone, preview, by=" ", facilitator=True)
    assert store.import_decisions(engine, zone, preview, by="Claire", facilitator=True) == 2
    table = store.get_decisions(engine, zone).set_index("candidate_id")
    assert table.loc["c1", ["status", "version", "imported_from"]].tolist() == [
        "retained",
        2,
        "projet.gpkg",
    ]
    assert table.loc["live", ["status", "participant", "imported_from"]].tolist() == [
        "retained",
        "Eve",
        "",
    ]
    steps = store.history(engine, zone, "c1")
    assert steps["imported_from"].tolist() == ["projet.gpkg", "projet.gpkg"]
    votes = store.get_votes(engine, zone, detail=True)
    assert votes.set_index("participant")["weight"].to_dict() == {"Anne": 2}  # Dan's vote: live
    done = store.imports(engine, zone)
    assert done[["origin", "imported_by", "decisions", "votes"]].to_numpy().tolist() == [
        ["projet.gpkg", "Claire", 2, 1]
    ]
    # the workshop goes on: a live change drops the decision's mark, the history keeps it
    store.record_decision(engine, zone, "c1", {"status": "in_place"}, participant="Anne")
    assert (
        store.get_decisions(engine, zone).set_index("candidate_id").at["c1", "imported_from"] == ""
    )
    assert store.history(engine, zone, "c1")["imported_from"].tolist() == [
        "projet.gpkg",
        "projet.gpkg",
        "",
    ]
    again = store.preview_imported_decisions(
        _crafted_layers(), origin="projet.gpkg", engine=engine, zone=zone
    )
    assert store.import_decisions(engine, zone, again, by="Claire", facilitator=True) == 0
