"""Exchanges to value: the zone's existing synergies, or candidates with an allocated quantity.

One row per exchange (`eit_geo.indicators.reference.EXCHANGE_COLUMNS`): who gives what to whom,
the receiver's input replaced, the quantity and its status, the straight-line distance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely

from eit_geo.codes import ewc_parents, substitution_table

if TYPE_CHECKING:
    from eit_geo.zone import Zone


__all__ = [
    "exchanges_from_candidates",
    "exchanges_from_synergies",
    "is_estimate",
    "status_column",
]


def exchanges_from_synergies(zone: Zone) -> pd.DataFrame:
    """Return the zone's existing synergies as exchanges (`EXCHANGE_COLUMNS` and ``since``).

    The receiver's input is the one of its inputs the supplier's code matches (same code, EWC
    sub-chapter or chapter, substitution table), else the code's single substitution target,
    else the code itself. ``distance_km`` is the straight line between the two companies.
    """
    synergies = zone.synergies
    names = zone.company_names()
    inputs = zone.flows[zone.flows["direction"] == "input"].groupby("company_id")["resource"]
    by_company = {company: list(codes) for company, codes in inputs}
    resolved = [
        _resolve_input(code, by_company.get(receiver, []))
        for code, receiver in zip(synergies["resource"], synergies["to_id"], strict=True)
    ]
    table = pd.DataFrame(
        {
            "exchange_id": [
                f"{a}>{b}:{code}"
                for a, b, code in zip(
                    synergies["from_id"], synergies["to_id"], synergies["resource"], strict=True
                )
            ],
            "from_id": synergies["from_id"].astype(str),
            "to_id": synergies["to_id"].astype(str),
            "from_name": synergies["from_id"].map(names),
            "to_name": synergies["to_id"].map(names),
            "resource": synergies["resource"].astype(str),
            "input_resource": [code for code, _ in resolved],
            "conversion": [conversion for _, conversion in resolved],
            "family": synergies["family"].astype(str),
            "quantity": synergies["quantity"].astype(float),
            "unit": synergies["unit"].astype(str),
            "distance_km": _link_km(zone, synergies["from_id"], synergies["to_id"]),
            "quantity_status": status_column(synergies),
            "since": synergies["since"],
        },
        index=synergies.index,
    )
    return table.reset_index(drop=True)


def _resolve_input(code: str, inputs: list[str]) -> tuple[str, str]:
    parents = ewc_parents(code)
    for candidate in inputs:
        if candidate == code or candidate in parents:
            return candidate, ""
    table = substitution_table()
    targets = table[table["output"] == code]
    conversion = dict(zip(targets["input"], targets["conversion"], strict=True))
    for candidate in inputs:
        if candidate in conversion:
            return candidate, str(conversion[candidate] or "")
    if len(conversion) == 1:
        target, how = next(iter(conversion.items()))
        return str(target), str(how or "")
    return code, ""


def _link_km(zone: Zone, from_ids: pd.Series, to_ids: pd.Series) -> np.ndarray:
    points = zone.companies.set_index("id").geometry.to_crs(zone.metric_crs())
    start = np.asarray(points.reindex(from_ids.astype(str)))
    end = np.asarray(points.reindex(to_ids.astype(str)))
    return np.asarray(shapely.distance(start, end), dtype=float) / 1000.0


def status_column(frame: pd.DataFrame) -> pd.Series:
    """Return a table's ``quantity_status`` as text ("" where absent or blank)."""
    if "quantity_status" not in frame:
        return pd.Series("", index=frame.index, dtype="string")
    return frame["quantity_status"].astype("string").fillna("")


def is_estimate(status: pd.Series) -> pd.Series:
    """Return whether each quantity status says an estimate (``estimate``, ``estimé``…)."""
    return status.astype("string").fillna("").str.strip().str.lower().str.startswith("estim")


def exchanges_from_candidates(
    zone: Zone, candidates: pd.DataFrame, *, quantity: str = "allocated_quantity"
) -> pd.DataFrame:
    """Return the candidates that exchange something (``quantity`` > 0) as exchanges.

    Parameters
    ----------
    zone
        The zone the candidates were found in (for the quantities' status).
    candidates
        Rows of `eit_geo.matching.find_substitutions`, usually after
        `eit_geo.allocation.allocate`; existing synergies among them stay.
    quantity
        The column holding the quantity exchanged.

    Returns
    -------
    pandas.DataFrame
        ``exchange_id`` (the ``candidate_id``), ``status`` and `EXCHANGE_COLUMNS`; a quantity
        is an estimate when the offer, the need or the existing synergy says so.
    """
    rows = candidates[candidates[quantity].fillna(0) > 0]
    if "kind" in rows:
        rows = rows[rows["kind"].fillna("substitution") == "substitution"]
    flow_status = status_column(zone.flows).set_axis(zone.flows["flow_id"].astype(str))
    estimate = is_estimate(flow_status)
    from_estimate = rows["from_flow_id"].astype("string").map(estimate).eq(True)  # NaN: no
    to_estimate = rows["to_flow_id"].astype("string").map(estimate).eq(True)
    synergy_keys = zone.synergies["from_id"] + ">" + zone.synergies["to_id"] + ":"
    synergy_keys = synergy_keys + zone.synergies["resource"]
    synergy_estimate = pd.Series(
        is_estimate(status_column(zone.synergies)).to_numpy(), index=synergy_keys.to_numpy()
    )
    synergy_estimate = synergy_estimate.groupby(level=0).any()
    row_keys = rows["from_id"] + ">" + rows["to_id"] + ":" + rows["resource"]
    existing = (rows["status"] == "existing") & row_keys.map(synergy_estimate).eq(True)
    estimated = from_estimate.astype(bool) | to_estimate.astype(bool) | existing.astype(bool)
    return pd.DataFrame(
        {
            "exchange_id": rows["candidate_id"].astype(str),
            "status": rows["status"].astype(str),
            "from_id": rows["from_id"].astype(str),
            "to_id": rows["to_id"].astype(str),
            "from_name": rows["from_name"].astype(str),
            "to_name": rows["to_name"].astype(str),
            "resource": rows["resource"].astype(str),
            "input_resource": rows["input_resource"].astype(str),
            "conversion": rows["conversion"].fillna("").astype(str),
            "family": rows["family"].astype(str),
            "quantity": rows[quantity].astype(float),
            "unit": rows["unit"].astype(str),
            "distance_km": rows["distance_km"].astype(float),
            "quantity_status": np.where(estimated, "estimate", ""),
        }
    ).reset_index(drop=True)
