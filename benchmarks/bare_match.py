"""Bare single-purpose matchers: the references of ``bench_matching.py`` for ``eit-geo match``.

Run: ``.venv/bin/python benchmarks/bare_match.py ZONE_FOLDER OUT.csv [--same-columns]``

Two references, both plain scripts on the two CSV files of a benchmark zone (``bench_loading.py``:
comma-separated UTF-8, not a user's file), with pyarrow, pyproj and one scipy KD-tree per code
and unit, and none of eit-geo's matching code:

- ``minimal`` (default): the ``top_k`` nearest needs of each offer, five columns
  (``from_id, to_id, resource, quantity, distance_km``), about 50 bytes a row;
- ``--same-columns``: the ``top_k`` nearest needs of each offer **and** offers of each need (the
  union, as ``eit-geo match`` keeps), written with the 38 columns of ``eit-geo match``'s CSV
  (ids, names, flow ids, quantities, coordinates, a distance score…), about 300 bytes a row. It
  measures what our rules, scores, existing synergies, residual quantities and groups cost
  beyond a search writing a file of the same width; the minimal one, what the file's width costs
  too. Neither knows substitution rules, EWC parents, existing synergies or groups.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from pyproj import Transformer
from scipy.spatial import cKDTree

from eit_geo.codes import default_max_km, family_of


def _read(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Companies, flows, the companies' metric coordinates and each flow's company row."""
    text = pa_csv.ConvertOptions(column_types={"id": pa.string(), "company_id": pa.string()})
    companies = pa_csv.read_csv(folder / "companies.csv", convert_options=text).to_pandas()
    flows = pa_csv.read_csv(folder / "flows.csv", convert_options=text).to_pandas()
    to_metric = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    xy = np.column_stack(
        to_metric.transform(companies["lon"].to_numpy(), companies["lat"].to_numpy())
    )
    where = pd.Index(companies["id"]).get_indexer(flows["company_id"])  # ids as written: text
    return companies, flows, xy, where


def _nearest(xy: np.ndarray, src: np.ndarray, dst: np.ndarray, k: int, metres: float):
    """Rows ``(src, dst, metres)``: the ``k`` nearest ``dst`` of each ``src`` within ``metres``."""
    k = min(k, len(dst))
    dist, idx = cKDTree(xy[dst]).query(xy[src], k=k, distance_upper_bound=metres)
    dist, idx = dist.reshape(len(src), k), idx.reshape(len(src), k)
    ok = np.isfinite(dist)
    return np.broadcast_to(src[:, None], ok.shape)[ok], dst[idx[ok]], dist[ok]


def _code_groups(flows: pd.DataFrame):
    """Yield ``(code, unit, offers, needs, metres)``: each code and unit offered and needed."""
    offers = flows["direction"].to_numpy() == "output"
    groups = flows.groupby(["resource", "unit", offers]).indices
    for (code, unit, is_offer), rows in groups.items():
        needs = groups.get((code, unit, False)) if is_offer else None
        if needs is not None:
            km = default_max_km(code)
            yield code, unit, rows, needs, (np.inf if km is None else km * 1000)


def bare_command(folder: Path, path: Path, top_k: int = 10) -> int:
    """The minimal reference: each offer's ``top_k`` nearest needs, five columns."""
    _, flows, xy, where = _read(folder)
    quantity, company_id = flows["quantity"].to_numpy(), flows["company_id"].to_numpy()
    writer, count = None, 0
    for code, _, rows, needs, reach in _code_groups(flows):
        offer, need, metres = _nearest(xy[where], rows, needs, top_k, reach)
        table = pa.table({
            "from_id": company_id[offer].astype(str),
            "to_id": company_id[need].astype(str),
            "resource": np.full(len(offer), code),
            "quantity": np.minimum(quantity[offer], quantity[need]),
            "distance_km": metres / 1000,
        })  # fmt: skip
        writer = writer or pa_csv.CSVWriter(path, table.schema)
        writer.write_table(table)
        count += len(offer)
    if writer is not None:
        writer.close()
    return count


def bare_same_columns(folder: Path, path: Path, top_k: int = 10) -> int:
    """The same-width reference: nearest pairs from both ends, the 38 columns of our CSV."""
    companies, flows, xy, where = _read(folder)
    quantity = flows["quantity"].to_numpy(dtype=float)
    ids = companies["id"].astype(str).to_numpy()
    names = companies["name"].astype(str).to_numpy()
    lon, lat = companies["lon"].to_numpy().round(6), companies["lat"].to_numpy().round(6)
    xy_flow = xy[where]
    writer, count = None, 0
    for code, unit, rows, needs, metres in _code_groups(flows):
        km = None if math.isinf(metres) else metres / 1000
        forward = _nearest(xy_flow, rows, needs, top_k, metres)
        backward = _nearest(xy_flow, needs, rows, top_k, metres)
        offer = np.concatenate([forward[0], backward[1]])
        need = np.concatenate([forward[1], backward[0]])
        dist = np.concatenate([forward[2], backward[2]])
        _, first = np.unique(offer.astype(np.int64) * len(flows) + need, return_index=True)
        offer, need, dist = offer[first], need[first], dist[first]
        a, b = where[offer], where[need]
        other = a != b
        offer, need, dist, a, b = offer[other], need[other], dist[other], a[other], b[other]
        n = len(offer)
        scale = (km or 1000.0) * 1000 / 3
        text = np.full(n, code, dtype=object)
        empty = pa.nulls(n, pa.string())
        table = pa.table({
            "candidate_id": pd.Series(ids[a]) + ">" + ids[b] + ":" + code + ">" + code,
            "kind": np.full(n, "substitution"),
            "status": np.full(n, "candidate"),
            "from_id": ids[a],
            "to_id": ids[b],
            "from_name": names[a],
            "to_name": names[b],
            "from_flow_id": offer,
            "to_flow_id": need,
            "resource": text,
            "input_resource": text,
            "family": np.full(n, family_of(code)),
            "match": np.full(n, "same_code"),
            "conversion": np.full(n, ""),
            "quantity": np.minimum(quantity[offer], quantity[need]),
            "offer_quantity": quantity[offer],
            "need_quantity": quantity[need],
            "existing_quantity": pa.nulls(n, pa.float64()),
            "offer_used": np.zeros(n),
            "need_used": np.zeros(n),
            "offer_used_by": np.full(n, ""),
            "need_used_by": np.full(n, ""),
            "unit": np.full(n, unit),
            "distance_km": (dist / 1000).round(3),
            "max_km": np.full(n, math.nan if km is None else km),
            "score": np.exp(-dist / scale).round(4),
            "more_for_offer": np.bincount(offer, minlength=len(flows))[offer],
            "more_for_need": np.bincount(need, minlength=len(flows))[need],
            "from_lon": lon[a],
            "from_lat": lat[a],
            "to_lon": lon[b],
            "to_lat": lat[b],
            "group_id": empty,
            "direction": empty,
            "members": empty,
            "n_members": pa.nulls(n, pa.int64()),
            "centre_lat": pa.nulls(n, pa.float64()),
            "centre_lon": pa.nulls(n, pa.float64()),
        })  # fmt: skip
        writer = writer or pa_csv.CSVWriter(path, table.schema)
        writer.write_table(table)
        count += n
    if writer is not None:
        writer.close()
    return count


if __name__ == "__main__":
    run = bare_same_columns if "--same-columns" in sys.argv[3:] else bare_command
    run(Path(sys.argv[1]), Path(sys.argv[2]))
