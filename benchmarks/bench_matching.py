"""Benchmark of the synergy engine: the whole ``eit-geo match`` command, then its stages.

Run: ``.venv/bin/python benchmarks/bench_matching.py [--regions 100000] [--repeat 3]
[--before /tmp/before/.venv/bin/eit-geo] [--sizes 1000 10000 100000] [--top 10]``

Regions (``--regions``, the zones of ``bench_loading.py``): ``dense`` (20 common codes shared by
many neighbours) and ``long-tail``. Each run is a fresh process: the whole ``eit-geo match ZONE
--out FILE.csv`` (loading included), the same command of an earlier version (``--before``: its
``eit-geo``, e.g. from ``git worktree add /tmp/before a4072ac`` with its own venv), and a bare
KD-tree script on the same files in its two forms (``bare_match.py``: pyarrow reads, pyproj
projects, one KD-tree per code and unit, pyarrow writes; ``bare`` keeps the k nearest needs of
each offer in 5 columns, ``bare-same`` the k nearest from both ends in the 38 columns of our CSV),
in turn, ``--repeat`` times: wall time and peak resident memory (``wait4``), with their ranges
and ratios.

For each size, in a fresh process: load the zone (CSV folder), match (rank substitutions, find
mutualisation groups), write the CSV, allocate (sparse LP, HiGHS) on the kept candidates, and a
bare single-purpose script (same code only, KD-tree, pandas ``to_csv``) as the reference. Times in
seconds, peak resident memory (VmHWM, reset between stages) in MB. At 2,000 companies the same
matching with every candidate kept (``top_k=0``) is checked against a straightforward all-pairs
implementation and the time ratio printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_loading import make_zone as make_region
from scipy.spatial import cKDTree

from eit_geo.allocation import allocate
from eit_geo.codes import (
    default_max_km,
    ewc_parents,
    ewc_table,
    family_of,
    is_ewc_code,
    normalise_code,
    resource_table,
    substitution_table,
)
from eit_geo.loading import load_zone
from eit_geo.matching import rank_substitutions
from eit_geo.synergy_files import write_matches

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"

UNIT = {"energy": "MWh/yr", "water": "m3/yr", "gas": "t/yr", "material": "t/yr"}
KM_PER_DEG_LAT = 111.2


# --------------------------------------------------------------------------- synthetic zone


def make_zone(n_companies: int, seed: int = 0) -> Path:
    """Write a synthetic zone: industrial parks (clusters) and scattered firms, ~5 flows each."""
    folder = OUT / f"zone-{n_companies}"
    if (folder / "flows.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    side_km = 30.0 * math.sqrt(n_companies / 1000)  # constant density, like a region
    n_parks = max(3, n_companies // 250)
    park_xy = rng.uniform(0, side_km, (n_parks, 2))
    park_size = rng.pareto(1.2, n_parks) + 1
    park_radius = rng.uniform(0.5, 2.0, n_parks)
    in_park = rng.random(n_companies) < 0.85
    park = rng.choice(n_parks, n_companies, p=park_size / park_size.sum())
    xy = np.where(
        in_park[:, None],
        park_xy[park] + rng.normal(0, 1, (n_companies, 2)) * park_radius[park][:, None],
        rng.uniform(0, side_km, (n_companies, 2)),
    )
    lat0, lon0 = 46.5, 2.5
    lat = lat0 + xy[:, 1] / KM_PER_DEG_LAT
    lon = lon0 + xy[:, 0] / (KM_PER_DEG_LAT * math.cos(math.radians(lat0)))
    ids = [f"c{i:06d}" for i in range(n_companies)]
    pd.DataFrame({"id": ids, "name": [f"Entreprise {i}" for i in range(n_companies)],
                  "lat": lat.round(6), "lon": lon.round(6)}).to_csv(folder / "companies.csv",
                                                                   index=False)  # fmt: skip
    codes = _codes(rng)
    weights = 1.0 / np.arange(1, len(codes) + 1)  # Zipf: a few common codes, a long tail
    weights /= weights.sum()
    n_flows = rng.integers(3, 8, n_companies)
    company = np.repeat(np.arange(n_companies), n_flows)
    direction = np.where(rng.random(len(company)) < 0.5, "output", "input")
    resource = rng.choice(codes, len(company), p=weights).astype(object)
    ewc = np.array([is_ewc_code(c) for c in resource])
    chapter = (direction == "input") & ewc & (rng.random(len(company)) < 0.1)
    resource[chapter] = [c[:5] if rng.random() < 0.7 else c[:2] for c in resource[chapter]]
    unit = np.array([UNIT[family_of(c)] for c in resource])
    quantity = np.round(rng.lognormal(7, 1.5, len(company)), 1) + 1
    flows = pd.DataFrame({"company_id": np.array(ids)[company], "direction": direction,
                          "resource": resource, "quantity": quantity, "unit": unit})  # fmt: skip
    unique = ~flows.duplicated(["company_id", "direction", "resource"]).to_numpy()
    flows, company = flows[unique].reset_index(drop=True), company[unique]
    flows.to_csv(folder / "flows.csv", index=False)
    _synergies(flows, xy, company).to_csv(folder / "synergies.csv", index=False)
    return folder


def _codes(rng: np.random.Generator) -> list[str]:
    """Resource codes as a region's declarations use them: the core codes, the shipped EWC codes
    and a long tail of 456 other EWC codes spread evenly over chapters 01-19 of the list."""
    shipped = [c for c in resource_table().index if c != "electricity"]
    tail = _ewc_tail()
    codes = sorted(set(shipped) | set(tail))
    rng.shuffle(codes)
    return codes


def _ewc_tail() -> list[str]:
    table = ewc_table()
    entries = pd.Series(table.index[table["level"] == "entry"])
    entries = entries[entries.str[:2] <= "19"].reset_index(drop=True)
    kept = entries.iloc[np.linspace(0, len(entries) - 1, 456).round().astype(int)]
    return [normalise_code(code) for code in kept]


def _synergies(flows: pd.DataFrame, xy: np.ndarray, company: np.ndarray) -> pd.DataFrame:
    """About one existing synergy per 100 companies: an offer and the nearest same-code need."""
    rows = []
    outputs = flows[flows["direction"] == "output"]
    inputs = flows[flows["direction"] == "input"]
    picked = outputs.sample(max(1, len(xy) // 100), random_state=1)
    by_code = {code: group.index.to_numpy() for code, group in inputs.groupby("resource")}
    for index, flow in picked.iterrows():
        candidates = by_code.get(flow["resource"])
        if candidates is None:
            continue
        others = candidates[company[candidates] != company[index]]
        if not len(others):
            continue
        _, nearest = cKDTree(xy[company[others]]).query(xy[company[index]])
        need = flows.loc[others[nearest]]
        rows.append((flow["company_id"], need["company_id"], flow["resource"],
                     min(flow["quantity"], need["quantity"]), flow["unit"]))  # fmt: skip
    return pd.DataFrame(rows, columns=["from_id", "to_id", "resource", "quantity", "unit"])


# --------------------------------------------------------------------------- measuring


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stage(name: str, results: dict, function):
    _reset_peak()
    start, cpu = time.perf_counter(), time.process_time()
    value = function()
    results[name] = {
        "seconds": round(time.perf_counter() - start, 2),
        "cpu": round(time.process_time() - cpu, 2),
        "peak_mb": round(_peak_mb()),
    }
    return value


def bare_script(zone, path: Path) -> int:
    """The reference: same code only, each offer's k nearest needs by KD-tree, pandas to_csv."""
    flows = zone.flows
    xy = np.column_stack(
        [zone.companies.to_crs(zone.metric_crs()).geometry.x,
         zone.companies.to_crs(zone.metric_crs()).geometry.y]
    )  # fmt: skip
    where = pd.Index(zone.companies["id"]).get_indexer(flows["company_id"])
    frames = []
    out = flows[flows["direction"] == "output"]
    inp = flows[flows["direction"] == "input"]
    for code, offers in out.groupby("resource"):
        needs = inp[inp["resource"] == code]
        if needs.empty:
            continue
        km = default_max_km(code)
        radius = np.inf if km is None else km * 1000
        k = min(10, len(needs))
        dist, idx = cKDTree(xy[where[needs.index]]).query(
            xy[where[offers.index]], k=k, distance_upper_bound=radius
        )
        dist, idx = dist.reshape(len(offers), k), idx.reshape(len(offers), k)
        ok = np.isfinite(dist)
        rows = np.broadcast_to(np.arange(len(offers))[:, None], ok.shape)[ok]
        frames.append(pd.DataFrame({
            "from_id": offers["company_id"].to_numpy()[rows],
            "to_id": needs["company_id"].to_numpy()[idx[ok]],
            "resource": code,
            "quantity": np.minimum(offers["quantity"].to_numpy()[rows],
                                   needs["quantity"].to_numpy()[idx[ok]]),
            "distance_km": dist[ok] / 1000,
        }))  # fmt: skip
    table = pd.concat(frames, ignore_index=True)
    table.to_csv(path, index=False)
    return len(table)


def all_pairs(zone) -> set[tuple[int, int]]:
    """A straightforward all-pairs matcher: every offer against every need, same rules."""
    flows = zone.flows
    metric = zone.companies.to_crs(zone.metric_crs()).geometry
    position = dict(zip(zone.companies["id"], zip(metric.x, metric.y, strict=True), strict=True))
    substitutes = set(zip(substitution_table()["output"], substitution_table()["input"],
                          strict=True))  # fmt: skip
    records = list(flows.itertuples())
    offers = [f for f in records if f.direction == "output"]
    needs = [f for f in records if f.direction == "input"]
    found = set()
    for offer in offers:
        ox, oy = position[offer.company_id]
        km = default_max_km(offer.resource)
        accepted = {offer.resource, *ewc_parents(offer.resource)}
        for need in needs:
            if need.company_id == offer.company_id or need.unit != offer.unit:
                continue
            if need.resource not in accepted and (offer.resource, need.resource) not in substitutes:
                continue
            nx, ny = position[need.company_id]
            if km is None or math.hypot(ox - nx, oy - ny) <= km * 1000:
                found.add((offer.flow_id, need.flow_id))
    return found


# --------------------------------------------------------------------------- one size


def run_size(n_companies: int, top_k: int) -> dict:
    folder = make_zone(n_companies)
    results: dict = {"companies": n_companies}
    zone = _stage("load", results, lambda: load_zone(folder))
    results["flows"] = len(zone.flows)

    def match():  # what `eit-geo match ZONE --out match.csv` does
        links, groups = write_matches(zone, OUT / f"match-{n_companies}.csv", top_k=top_k)
        return len(links), links.attrs["found"], len(groups)

    results["candidates"], results["found_within_reach"], results["groups"] = _stage(
        "match_rank_write", results, match
    )
    links = rank_substitutions(zone, top_k=top_k)  # the whole table, as allocation takes it
    allocated = _stage("allocate", results, lambda: allocate(links))
    results["allocated_links"] = int((allocated["allocated_quantity"] > 0).sum())
    results["bare_rows"] = _stage(
        "bare_script", results, lambda: bare_script(zone, OUT / f"bare-{n_companies}.csv")
    )
    return results


def run_all_pairs(n_companies: int) -> dict:
    zone = load_zone(make_zone(n_companies))
    results: dict = {"companies": n_companies, "flows": len(zone.flows)}
    bare = zone.__class__(**{**vars(zone), "synergies": zone.synergies.iloc[:0]})
    engine = _stage("engine_all", results, lambda: rank_substitutions(bare, top_k=0))
    naive = _stage("all_pairs", results, lambda: all_pairs(bare))
    ours = set(zip(engine["from_flow_id"], engine["to_flow_id"], strict=True))
    results["pairs"] = len(ours)
    results["same_pairs"] = ours == naive
    results["ratio"] = round(results["all_pairs"]["seconds"] / results["engine_all"]["seconds"], 1)
    return results


# --------------------------------------------------------------------------- whole commands

REGIONS = ("dense", "long-tail")


def _timed(command: list[str]) -> tuple[float, float]:
    """Run ``command``; return its wall seconds and peak resident MB (``wait4``)."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        msg = f"failed: {' '.join(command)}\n{process.stderr.read().decode()}"
        raise SystemExit(msg)
    process.stderr.close()
    return wall, usage.ru_maxrss / 1024


def run_commands(size: int, repeat: int, before: str | None, top_k: int) -> dict:
    """Time the whole commands on both regions, in turn, ``repeat`` times."""
    engine = shutil.which("eit-geo", path=str(Path(sys.executable).parent))
    bare = Path(__file__).with_name("bare_match.py")
    commands = {
        "after": [engine, "match"],
        "bare": [sys.executable, str(bare)],
        "bare-same": [sys.executable, str(bare), "--same-columns"],
    }
    if before:
        commands["before"] = [before, "match"]
    figures: dict = {}
    for region in REGIONS:
        folder = make_region(size, region)
        for _ in range(repeat):
            for name, head in commands.items():
                out = OUT / f"{region}-{size}-{name}.csv"
                command = (
                    [head[0], head[1], str(folder), str(out), *head[2:]]
                    if name.startswith("bare")
                    else [*head, str(folder), "--out", str(out), "--top", str(top_k)]
                )
                figures.setdefault((region, name), []).append(_timed(command))
    return figures


def _span(values: list[float], digits: int = 1) -> str:
    low, high = min(values), max(values)
    return f"{low:.{digits}f}" if low == high else f"{low:.{digits}f}–{high:.{digits}f}"


def print_commands(size: int, figures: dict) -> None:
    """Print wall time and peak memory of each command, and the ratios between them."""
    print(f"| {size:,} companies | command | wall s (range) | peak RSS MB (range) |")
    print("|---|---|---:|---:|")
    for (region, name), runs in figures.items():
        walls, peaks = [w for w, _ in runs], [m for _, m in runs]
        print(f"| {region} | {name} | {_span(walls)} | {_span(peaks, 0)} |")
    print()
    for region in REGIONS:
        after = figures[(region, "after")]
        for other in ("before", "bare", "bare-same"):
            if (region, other) not in figures:
                continue
            pairs = list(zip(after, figures[(region, other)], strict=True))
            wall = [a[0] / b[0] for a, b in pairs]
            memory = [a[1] / b[1] for a, b in pairs]
            middle = statistics.median(wall), statistics.median(memory)
            print(f"{region}: after / {other}: wall {_span(wall, 2)}x (median {middle[0]:.2f}x),"
                  f" memory {_span(memory, 2)}x (median {middle[1]:.2f}x)"
                  f" (same run, {len(pairs)} runs)")  # fmt: skip


# --------------------------------------------------------------------------- main


def _child(args: argparse.Namespace) -> None:
    result = run_all_pairs(args.child) if args.all_pairs else run_size(args.child, args.top)
    print(json.dumps(result))


def _spawn(size: int, top: int, *, all_pairs_run: bool = False) -> dict:
    command = [sys.executable, __file__, "--child", str(size), "--top", str(top)]
    if all_pairs_run:
        command.append("--all-pairs")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, nargs="*", default=[100000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--before", default=None, help="eit-geo of an earlier version")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--all-pairs-size", type=int, default=2000)
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--all-pairs", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        _child(args)
        return
    print(f"load average before: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)\n")
    for size in args.regions:
        print_commands(size, run_commands(size, args.repeat, args.before, args.top))
        print()
    print("| companies | flows | stage | wall s | CPU s | peak RSS MB |")
    print("|---:|---:|---|---:|---:|---:|")
    for size in args.sizes:
        result = _spawn(size, args.top)
        for stage in ("load", "match_rank_write", "allocate", "bare_script"):
            figures = result[stage]
            print(f"| {size:,} | {result['flows']:,} | {stage} | {figures['seconds']} "
                  f"| {figures['cpu']} | {figures['peak_mb']} |")  # fmt: skip
        engine, bare = result["match_rank_write"], result["bare_script"]
        wall = engine["seconds"] / max(bare["seconds"], 1e-3)
        cpu = engine["cpu"] / max(bare["cpu"], 1e-3)
        print(f"|  |  | kept {result['candidates']:,} of {result['found_within_reach']:,} pairs "
              f"within reach ({result['bare_rows']:,} bare rows); {result['groups']:,} groups; "
              f"engine / bare script: {wall:.1f}x wall, {cpu:.1f}x CPU | | | |")  # fmt: skip
    if args.all_pairs_size:
        result = _spawn(args.all_pairs_size, 0, all_pairs_run=True)
        print(
            f"\nAll pairs at {args.all_pairs_size:,} companies ({result['flows']:,} flows, "
            f"{result['pairs']:,} candidates, same pairs: {result['same_pairs']}): engine "
            f"{result['engine_all']['seconds']} s, all-pairs loop {result['all_pairs']['seconds']}"
            f" s, ratio {result['ratio']}x"
            f" (CPU {result['engine_all']['cpu']} s vs {result['all_pairs']['cpu']} s)"
        )


if __name__ == "__main__":
    main()
