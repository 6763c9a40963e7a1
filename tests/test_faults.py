"""Faults: a writer killed in the middle of an export or of saving decisions loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from eit_geo import load_zone, store
from eit_geo.datafiles import example_path
from eit_geo.export import export_zone

# A child process that exports a large zone to the same file again and again, until killed.
WRITER = """
import sys
import numpy as np
import pandas as pd
from eit_geo import load_zone
from eit_geo.export import export_zone

zone = load_zone(sys.argv[1])
rng = np.random.default_rng(0)
n = 20_000
companies = zone.companies.sample(n, replace=True, random_state=1).reset_index(drop=True)
companies["id"] = [f"c{i}" for i in range(n)]
flows = zone.flows.sample(n * 3, replace=True, random_state=2).reset_index(drop=True)
flows["company_id"] = rng.choice(companies["id"], len(flows))
flows["flow_id"] = range(len(flows))
zone.companies, zone.flows = companies, flows
zone.synergies = zone.synergies.iloc[0:0]
print("ready", flush=True)
while True:
    export_zone(zone, sys.argv[2])
"""


def _layers_equal(left: Path, right_zone_source: Path) -> None:
    expected = load_zone(right_zone_source)
    actual = load_zone(left)
    pd.testing.assert_frame_equal(actual.flows, expected.flows)
    pd.testing.assert_frame_equal(actual.companies, expected.companies)


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
@pytest.mark.process
def test_killed_export_leaves_previous_file_intact(tmp_path: Path, delay: float) -> None:
    source = example_path("kalundborg")
    target = tmp_path / "zone.gpkg"
    export_zone(load_zone(source), target)
    before = target.read_bytes()

    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(source), str(target)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(delay)  # not a wait: the moment of the kill, early or late in the writing
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    writer.stdout.close()

    # Either the previous file, untouched, or a complete new one: never a torn file.
    if target.read_bytes() == before:
        _layers_equal(target, source)
    else:
        zone = load_zone(target)
        assert len(zone.companies) == 20_000
        assert len(zone.flows) == 60_000
    leftovers = [p for p in tmp_path.iterdir() if p.name != "zone.gpkg"]
    assert all(p.name.startswith(".zone-") for p in leftovers), leftovers


def test_failed_export_keeps_previous_file(tmp_path: Path) -> None:
    zone = load_zone(example_path("kalundborg"))
    target = tmp_path / "zone.gpkg"
    export_zone(zone, target)
    before = target.read_bytes()

    broken = {"decisions": "not a table"}
    with pytest.raises(AttributeError):
        export_zone(zone, target, extra_layers=broken)  # type: ignore[arg-type]
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zone.gpkg"]


# A child process that records decisions as fast as it can, printing each version it committed.
DECISION_WRITER = """
import sys
from eit_geo import store

engine = store.open_store(sys.argv[1])
print("ready", flush=True)
version = 0
while True:
    status = ("retained", "rejected", "to_study")[version % 3]
    store.record_decision(
        engine, "zone", "a>b:steam>steam", {"status": status, "comment": "x" * 2000},
        participant="writer",
    )
    version += 1
    print(version, flush=True)
"""


@pytest.mark.parametrize("delay", [0.1, 0.5, 1.2])
@pytest.mark.process
def test_killed_decision_writer_leaves_the_store_consistent(tmp_path: Path, delay: float) -> None:
    url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    engine = store.open_store(url)
    store.record_decision(
        engine, "zone", "kept>x:steam>steam", {"status": "in_place"}, participant="before"
    )
    engine.dispose()

    writer = subprocess.Popen(
        [sys.executable, "-c", DECISION_WRITER, url], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "ready"
    time.sleep(delay)  # not a wait: the moment of the kill, early or late in the writing
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    committed = [int(line) for line in writer.stdout.read().split() if line.isdigit()]
    writer.stdout.close()

    engine = store.open_store(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    decisions = store.get_decisions(engine, "zone").set_index("candidate_id")
    assert decisions.at["kept>x:steam>steam", "status"] == "in_place"
    # Every committed change is there, none half-written: the decision's version is the number
    # of its history rows, and at least every version the writer reported.
    versions = store.history(engine, "zone", "a>b:steam>steam")["version"].tolist()
    assert versions == list(range(1, len(versions) + 1))
    if versions:
        assert decisions.at["a>b:steam>steam", "version"] == len(versions)
    assert len(versions) >= (committed[-1] if committed else 0)
    engine.dispose()
