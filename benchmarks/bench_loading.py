"""Benchmark of loading a zone (reading + validation) on two shapes of synthetic zones.

Run: ``.venv/bin/python benchmarks/bench_loading.py [--sizes 100000] [--repeat 3]``

Shapes, ~5 flows per company, half offers half needs:
- ``dense``: 20 common codes (core codes and shipped EWC codes) shared by many neighbours;
- ``long-tail``: Zipf over the core codes, the shipped EWC codes and 456 other codes of the
  European List of Waste, 10 % of the EWC needs naming a chapter or sub-chapter.

Each load runs in a fresh process (nothing cached from a previous load); the zone is written once
to ``benchmarks/out/`` (ignored by git). Printed: wall and CPU time of ``load_zone``, split into
reading the files (``loading.read_raw_tables``) and checking them (``validation.build_zone``),
and the ratios long-tail / dense and time / 2 s (the goal of issue 14).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from eit_geo.codes import ewc_table, family_of, is_ewc_code, normalise_code, resource_table

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
UNIT = {"energy": "MWh/yr", "water": "m3/yr", "gas": "t/yr", "material": "t/yr"}
KM_PER_DEG = 111.2
GOAL_S = 2.0


def make_zone(n_companies: int, shape: str, seed: int = 0) -> Path:
    """Write a synthetic zone of the given shape; reuse it when already written."""
    folder = OUT / f"load-{shape}-{n_companies}"
    if (folder / "flows.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    side_km = 30.0 * math.sqrt(n_companies / 1000)
    lat = 46.5 + rng.uniform(0, side_km, n_companies) / KM_PER_DEG
    lon = 2.5 + rng.uniform(0, side_km, n_companies) / (KM_PER_DEG * math.cos(math.radians(46.5)))
    ids = [f"{i:014d}" for i in range(n_companies)]  # SIRET-like ids
    sectors = rng.choice(
        ["10.71Z", "16.10A", "20.14Z", "24.10Z", "35.11Z", "C", "38.21Z"], n_companies
    )
    companies = pd.DataFrame(
        {
            "id": ids,
            "name": [f"Entreprise {i}" for i in range(n_companies)],
            "lat": lat.round(6),
            "lon": lon.round(6),
            "sector": sectors,
            "employees": rng.integers(1, 500, n_companies),
        }
    )
    companies.to_csv(folder / "companies.csv", index=False)
    codes = _dense_codes() if shape == "dense" else _long_tail_codes(rng)
    weights = np.ones(len(codes)) if shape == "dense" else 1.0 / np.arange(1, len(codes) + 1)
    weights /= weights.sum()
    n_flows = rng.integers(3, 8, n_companies)
    company = np.repeat(np.arange(n_companies), n_flows)
    direction = np.where(rng.random(len(company)) < 0.5, "output", "input")
    resource = rng.choice(codes, len(company), p=weights).astype(object)
    if shape != "dense":
        ewc = np.array([is_ewc_code(c) for c in resource])
        chapter = (direction == "input") & ewc & (rng.random(len(company)) < 0.1)
        resource[chapter] = [c[:5] if rng.random() < 0.7 else c[:2] for c in resource[chapter]]
    unit = np.array([UNIT[family_of(c)] for c in resource])
    flows = pd.DataFrame(
        {
            "company_id": np.array(ids)[company],
            "direction": direction,
            "resource": resource,
            "quantity": np.round(rng.lognormal(7, 1.5, len(company)), 1) + 1,
            "unit": unit,
        }
    )
    flows = flows.drop_duplicates(["company_id", "direction", "resource"])
    flows.to_csv(folder / "flows.csv", index=False)
    return folder


def _dense_codes() -> list[str]:
    core = [c for c in resource_table().index if not is_ewc_code(str(c))]
    shipped = [c for c in resource_table().index if is_ewc_code(str(c))]
    return sorted(core[:12] + shipped[:8])


def _long_tail_codes(rng: np.random.Generator) -> list[str]:
    table = ewc_table()
    entries = pd.Series(table.index[table["level"] == "entry"])
    entries = entries[entries.str[:2] <= "19"].reset_index(drop=True)
    tail = entries.iloc[np.linspace(0, len(entries) - 1, 456).round().astype(int)]
    shipped = [c for c in resource_table().index if c != "electricity"]
    codes = sorted(set(shipped) | {normalise_code(c) for c in tail})
    rng.shuffle(codes)
    return codes


def _measure(folder: str) -> dict[str, float]:
    """Load the zone in this process, timing reading and checking apart."""
    from eit_geo import loading  # noqa: PLC0415 - imported in the measuring process only
    from eit_geo.validation import build_zone  # noqa: PLC0415

    times: dict[str, float] = {}
    original_read, _original_build = loading.read_raw_tables, loading.build_zone

    def timed(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start

        return wrapper

    loading.read_raw_tables = timed("read", original_read)
    loading.build_zone = timed("check", build_zone)
    wall, cpu = time.perf_counter(), time.process_time()
    zone = loading.load_zone(Path(folder))
    times["load"] = time.perf_counter() - wall
    times["cpu"] = time.process_time() - cpu
    times["companies"], times["flows"] = len(zone.companies), len(zone.flows)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure)))
        return
    print("| companies | flows | shape | load s (best) | read s | check s | CPU s | / 2 s |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        best: dict[str, dict[str, float]] = {}
        for shape in ("dense", "long-tail"):
            folder = make_zone(size, shape)
            runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--measure", str(folder)],
                        check=True,
                        capture_output=True,
                        text=True,
                    ).stdout
                )
                for _ in range(args.repeat)
            ]
            run = min(runs, key=lambda r: r["load"])
            best[shape] = run
            print(
                f"| {int(run['companies']):,} | {int(run['flows']):,} | {shape} | "
                f"{run['load']:.2f} | {run['read']:.2f} | {run['check']:.2f} | "
                f"{run['cpu']:.2f} | {run['load'] / GOAL_S:.2f} |"
            )
        ratio = best["long-tail"]["load"] / best["dense"]["load"]
        print(f"\n{size:,} companies: long-tail / dense = {ratio:.2f}")


if __name__ == "__main__":
    main()
