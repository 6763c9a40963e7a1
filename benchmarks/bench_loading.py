"""Benchmark of loading a zone (reading + validation) and of importing a flat inventory.

Run: ``.venv/bin/python benchmarks/bench_loading.py [--sizes 100000] [--repeat 3]``

Shapes, ~5 flows per company, half offers half needs:
- ``dense``: 20 common codes (core codes and shipped EWC codes) shared by many neighbours;
- ``long-tail``: Zipf over the core codes, the shipped EWC codes and 456 other codes of the
  European List of Waste, 10 % of the EWC needs naming a chapter or sub-chapter.

Each load runs in a fresh process (nothing cached from a previous load); the zone is written once
to ``benchmarks/out/`` (ignored by git). Printed: wall and CPU time of ``load_zone``, split into
reading the files (``loading.read_raw_tables``) and checking them (``validation.build_zone``),
and the ratios long-tail / dense and time / 2 s (the goal of issue 14). In the same run, the
bare reference: pyarrow reading the same two CSV files into pandas, with nothing else (no check,
no geometry), each time in a fresh process too; the ratio load / bare is given per pair of runs.

Then the import (``eit-geo import``) of a flat chamber-of-commerce table of ``--import-rows``
rows (one row per flow, the company repeated; ``;``, Windows-1252, Lambert-93 X/Y with a
decimal comma, « Entrant »/« Sortant », free-text resources, quantities in t/mois, kg/an, m3/j,
GWh/an…): reading and recognising (``plan_import``), building the zone (``build_import``) and
writing the GeoPackage (``write_import``), against pyarrow reading the same file.
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


FLAT_HEADERS = [
    "SIRET", "Raison sociale", "Adresse", "Code postal", "Commune", "X", "Y", "Code NAF",
    "Sens du flux", "Ressource", "Quantité", "Unité",
]  # fmt: skip
FLAT_UNITS = ["t/an", "t/mois", "kg/an", "m3/j", "GWh/an", "kWh/an", "MWh/an", "tonnes", ""]
FLAT_NAMES = ROOT / "tests" / "data" / "resource_names.csv"


def make_flat(n_rows: int, seed: int = 0) -> Path:
    """Write a flat inventory of ``n_rows`` flows, five per company; reuse it when written."""
    path = OUT / f"import-flat-{n_rows}" / "inventaire.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    n_companies = max(n_rows // 5, 1)
    names = pd.read_csv(FLAT_NAMES, dtype=str)["name"].drop_duplicates().head(300).to_numpy()
    company = np.sort(rng.integers(0, n_companies, n_rows))
    x = rng.uniform(600_000, 700_000, n_companies).round(1)
    y = rng.uniform(6_950_000, 7_100_000, n_companies).round(1)
    quantity = np.round(rng.lognormal(7, 1.5, n_rows)).astype(int) + 1
    table = pd.DataFrame(
        {
            "SIRET": np.array([_luhn(f"{412345670000 + c:013d}") for c in range(n_companies)])[
                company
            ],
            "Raison sociale": [f"Entreprise {c}" for c in company],
            "Adresse": [f"{c % 200 + 1} rue du Port" for c in company],
            "Code postal": "59140",
            "Commune": "Dunkerque",
            "X": [f"{v:.1f}".replace(".", ",") for v in x[company]],
            "Y": [f"{v:.1f}".replace(".", ",") for v in y[company]],
            "Code NAF": rng.choice(["24.10Z", "23.51Z", "16.10A", "37.00Z", "01.13Z"], n_companies)[
                company
            ],
            "Sens du flux": rng.choice(["Entrant", "Sortant"], n_rows),
            "Ressource": rng.choice(names, n_rows),
            "Quantité": [f"{q:,}".replace(",", " ") for q in quantity],
            "Unité": rng.choice(FLAT_UNITS, n_rows),
        }
    )
    blank = rng.random(n_rows) < 0.05  # some quantities not known
    table.loc[blank, ["Quantité", "Unité"]] = ""
    table.to_csv(path, sep=";", index=False, encoding="cp1252", errors="replace")
    return path


def _luhn(stem: str) -> str:
    """Complete 13 digits into a SIRET whose Luhn check holds."""
    for last in "0123456789":
        digits = [int(char) for char in reversed(stem + last)]
        doubled = [d * 2 - 9 if d * 2 > 9 else d * 2 for d in digits[1::2]]
        if (sum(digits[::2]) + sum(doubled)) % 10 == 0:
            return stem + last
    raise AssertionError(stem)


def _measure_bare(target: str) -> dict[str, float]:
    """Read the same CSV files with pyarrow into pandas, nothing else: the bare reference."""
    from pyarrow import csv as arrow_csv  # noqa: PLC0415 - imported in the measuring process

    path = Path(target)
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    encoding = "utf8" if path.is_dir() else "cp1252"
    delimiter = "," if path.is_dir() else ";"
    wall, cpu = time.perf_counter(), time.process_time()
    rows = 0
    for file in files:
        table = arrow_csv.read_csv(
            file,
            read_options=arrow_csv.ReadOptions(encoding=encoding),
            parse_options=arrow_csv.ParseOptions(delimiter=delimiter),
        )
        rows += len(table.to_pandas())
    return {"load": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "rows": rows}


def _measure_import(path: str) -> dict[str, float]:
    """Import a flat inventory in this process: plan, build and write timed apart."""
    import tempfile  # noqa: PLC0415 - imported in the measuring process only

    from eit_geo.importing import build_import, plan_import, write_import  # noqa: PLC0415

    times: dict[str, float] = {}
    wall, cpu = time.perf_counter(), time.process_time()
    plan = plan_import([Path(path)])
    times["plan"] = time.perf_counter() - wall
    result = build_import(plan)
    times["build"] = time.perf_counter() - wall - times["plan"]
    with tempfile.TemporaryDirectory() as folder:
        write_import(result, Path(folder) / "zone.gpkg")
    times["load"] = time.perf_counter() - wall
    times["write"] = times["load"] - times["plan"] - times["build"]
    times["cpu"] = time.process_time() - cpu
    assert result.zone is not None  # noqa: S101 - a benchmark that imports nothing is wrong
    times["companies"], times["flows"] = len(result.zone.companies), len(result.zone.flows)
    return times


def _run(flag: str, target: Path) -> dict[str, float]:
    """Run one measure in a fresh process and return what it printed."""
    command = [sys.executable, __file__, flag, str(target)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def _span(values: list[float], digits: int = 2) -> str:
    low, high = min(values), max(values)
    return (
        f"{low:.{digits}f}"
        if f"{low:.{digits}f}" == f"{high:.{digits}f}"
        else (f"{low:.{digits}f}–{high:.{digits}f}")
    )


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
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--measure-bare", help=argparse.SUPPRESS)
    parser.add_argument("--measure-import", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for flag, function in (
        (args.measure, _measure),
        (args.measure_bare, _measure_bare),
        (args.measure_import, _measure_import),
    ):
        if flag:
            print(json.dumps(function(flag)))
            return
    print(
        "| companies | flows | shape | load s | read s | check s | CPU s | bare s | bare CPU s "
        "| load / bare | best / 2 s |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        best: dict[str, dict[str, float]] = {}
        for shape in ("dense", "long-tail"):
            folder = make_zone(size, shape)
            pairs = [
                (_run("--measure", folder), _run("--measure-bare", folder))
                for _ in range(args.repeat)
            ]
            runs, bare = [p[0] for p in pairs], [p[1] for p in pairs]
            best[shape] = min(runs, key=lambda r: r["load"])
            ratios = [run["load"] / ref["load"] for run, ref in pairs]
            print(
                f"| {int(runs[0]['companies']):,} | {int(runs[0]['flows']):,} | {shape} | "
                f"{_span([r['load'] for r in runs])} | {_span([r['read'] for r in runs])} | "
                f"{_span([r['check'] for r in runs])} | {_span([r['cpu'] for r in runs])} | "
                f"{_span([r['load'] for r in bare])} | {_span([r['cpu'] for r in bare])} | "
                f"{_span(ratios, 1)} | {best[shape]['load'] / GOAL_S:.2f} |"
            )
        ratio = best["long-tail"]["load"] / best["dense"]["load"]
        print(f"\n{size:,} companies: long-tail / dense (best runs) = {ratio:.2f}")
    if args.import_rows:
        path = make_flat(args.import_rows)
        pairs = [
            (_run("--measure-import", path), _run("--measure-bare", path))
            for _ in range(args.repeat)
        ]
        runs, bare = [p[0] for p in pairs], [p[1] for p in pairs]
        print(
            "\n| import rows | companies | flows | import s | plan s | build s | write s | CPU s "
            "| bare s | import / bare |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {args.import_rows:,} | {int(runs[0]['companies']):,} | {int(runs[0]['flows']):,} | "
            f"{_span([r['load'] for r in runs])} | {_span([r['plan'] for r in runs])} | "
            f"{_span([r['build'] for r in runs])} | {_span([r['write'] for r in runs])} | "
            f"{_span([r['cpu'] for r in runs])} | {_span([r['load'] for r in bare])} | "
            f"{_span([r['load'] / b['load'] for r, b in pairs], 0)} |"
        )


if __name__ == "__main__":
    main()
