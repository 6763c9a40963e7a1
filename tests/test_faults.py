"""Faults: a writer killed in the middle of an export leaves the previous file intact."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from eit_geo import load_zone
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
    time.sleep(delay)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)

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
