"""A bare single-purpose matcher: the reference of ``bench_matching.py`` for ``eit-geo match``.

Run: ``.venv/bin/python benchmarks/bare_match.py ZONE_FOLDER OUT.csv``
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
from pyproj import Transformer
from scipy.spatial import cKDTree

from eit_geo.codes import default_max_km


def bare_command(folder: Path, path: Path, top_k: int = 10) -> int:
    """A bare single-purpose matcher on the zone's files: same code and unit, KD-trees.

    Reads ``companies.csv`` and ``flows.csv`` with pyarrow, projects to Lambert-93, and for each
    offer keeps its ``top_k`` nearest needs of the same code and unit within the code's default
    distance; writes them with pyarrow. No rules, scores, existing synergies or groups.
    """
    companies = pa_csv.read_csv(folder / "companies.csv").to_pandas()
    flows = pa_csv.read_csv(folder / "flows.csv").to_pandas()
    to_metric = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)
    xy = np.column_stack(
        to_metric.transform(companies["lon"].to_numpy(), companies["lat"].to_numpy())
    )
    where = pd.Index(companies["id"].astype(str)).get_indexer(flows["company_id"].astype(str))
    offers = flows["direction"].to_numpy() == "output"
    groups = flows.groupby(["resource", "unit", offers]).indices
    writer, count = None, 0
    for (code, unit, is_offer), rows in groups.items():
        needs = groups.get((code, unit, False)) if is_offer else None
        if needs is None:
            continue
        km = default_max_km(code)
        k = min(top_k, len(needs))
        dist, idx = cKDTree(xy[where[needs]]).query(
            xy[where[rows]], k=k, distance_upper_bound=np.inf if km is None else km * 1000
        )
        dist, idx = dist.reshape(len(rows), k), idx.reshape(len(rows), k)
        ok = np.isfinite(dist)
        offer = np.broadcast_to(rows[:, None], ok.shape)[ok]
        need = needs[idx[ok]]
        table = pa.table({
            "from_id": flows["company_id"].to_numpy()[offer].astype(str),
            "to_id": flows["company_id"].to_numpy()[need].astype(str),
            "resource": np.full(len(offer), code),
            "quantity": np.minimum(flows["quantity"].to_numpy()[offer],
                                   flows["quantity"].to_numpy()[need]),
            "distance_km": dist[ok] / 1000,
        })  # fmt: skip
        writer = writer or pa_csv.CSVWriter(path, table.schema)
        writer.write_table(table)
        count += len(offer)
    if writer is not None:
        writer.close()
    return count


if __name__ == "__main__":
    bare_command(Path(sys.argv[1]), Path(sys.argv[2]))
