"""The network at a chosen year: companies, flows and synergies running that year.

A zone may date its network with optional columns (``docs/data-format.md``): ``since`` (year it
started) and ``until`` (year it stopped) on synergies, ``since`` (year it opened) and ``closed``
(year it closed) on companies, ``closed`` (year it stopped) on flows. A row runs in year ``Y``
when it started in or before ``Y`` and had not stopped yet: ``since <= Y < until``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "current_year",
    "network_at",
    "network_years",
    "running_companies",
    "running_flows",
    "running_now",
    "running_synergies",
    "undated_synergies",
]


def current_year() -> int:
    """Return this year (UTC)."""
    return dt.datetime.now(tz=dt.UTC).year


def _years(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="Int64")
    return pd.to_numeric(frame[column], errors="coerce").astype("Int64")


def _running(frame: pd.DataFrame, year: int, *, start: str, end: str) -> pd.Series:
    started = _years(frame, start)
    stopped = _years(frame, end)
    began = started.isna() | (started <= year)
    still = stopped.isna() | (stopped > year)
    return (began & still).fillna(value=False).astype(bool)


def running_companies(zone: Zone, year: int) -> pd.Series:
    """Return, aligned on ``zone.companies``, whether each company was open in ``year``.

    A company without ``since`` counts as open since always; without ``closed``, as still open.
    """
    return _running(zone.companies, year, start="since", end="closed")


def _closed_ids(zone: Zone, year: int) -> list[str]:
    """Return the ids of the companies not open in ``year`` (usually few or none).

    Looking rows up among the closed ids, not the open ones, keeps the lookup small: pandas
    turns every value looked for into a Python object.
    """
    closed = ~running_companies(zone, year).to_numpy()
    return zone.companies.loc[closed, "id"].astype(str).unique().tolist()


def _of_closed(ids: pd.Series, closed: list[str]) -> pd.Series:
    """Return, aligned on ``ids``, whether each id is one of ``closed``."""
    if not closed:
        return pd.Series(data=False, index=ids.index)
    return ids.astype(str).isin(closed)


def running_flows(zone: Zone, year: int) -> pd.Series:
    """Return, aligned on ``zone.flows``, whether each flow ran in ``year`` (company open too)."""
    company_open = ~_of_closed(zone.flows["company_id"], _closed_ids(zone, year))
    return company_open & _running(zone.flows, year, start="since", end="closed")


def running_synergies(zone: Zone, year: int, *, undated: bool | None = None) -> pd.Series:
    """Return, aligned on ``zone.synergies``, whether each synergy ran in ``year``.

    Parameters
    ----------
    zone
        The zone.
    year
        The year asked.
    undated
        Whether synergies without ``since`` count (their start is unknown). None: only from this
        year on (today's network is the file as given; a past one leaves them out).

    Returns
    -------
    pandas.Series
        Booleans: started by ``year``, not stopped (``until`` later than ``year``), both
        companies open that year.
    """
    synergies = zone.synergies
    keep_undated = year >= current_year() if undated is None else undated
    started = _years(synergies, "since")
    running = _running(synergies, year, start="since", end="until")
    if not keep_undated:
        running &= started.notna().to_numpy()
    closed = _closed_ids(zone, year)
    ends_open = ~_of_closed(synergies["from_id"], closed) & ~_of_closed(synergies["to_id"], closed)
    return running & ends_open


def undated_synergies(zone: Zone) -> int:
    """Return how many synergies give no ``since`` year (left out of past years' networks)."""
    return int(_years(zone.synergies, "since").isna().sum())


def network_at(zone: Zone, year: int, *, undated: bool | None = None) -> Zone:
    """Return the zone as it ran in ``year``: open companies, running flows and synergies.

    The zone is not modified; ids are kept. ``undated`` as in `running_synergies`.
    """
    companies = zone.companies[running_companies(zone, year).to_numpy()]
    flows = zone.flows[running_flows(zone, year).to_numpy()]
    synergies = zone.synergies[running_synergies(zone, year, undated=undated).to_numpy()]
    return replace(
        zone,
        companies=companies.reset_index(drop=True),
        flows=flows.reset_index(drop=True),
        synergies=synergies.reset_index(drop=True),
        warnings=list(zone.warnings),
    )


def running_now(zone: Zone, year: int | None = None) -> Zone:
    """Return the zone as it runs in ``year`` (this year when None): `network_at` that year.

    Closed companies, ended flows and the synergies that stopped (their ``until`` is past) or
    involve a closed company are left out, so a stopped synergy's pair becomes a lead again while
    a closed company's offers and needs give no lead. Synergies without ``since`` are kept this
    year, as in `running_synergies`. The zone is not modified; it is returned as is when
    everything in it runs that year.
    """
    year = current_year() if year is None else year
    at = network_at(zone, year)
    unchanged = all(
        len(now) == len(given)
        for now, given in (
            (at.companies, zone.companies),
            (at.flows, zone.flows),
            (at.synergies, zone.synergies),
        )
    )
    return zone if unchanged else at


def network_years(zone: Zone) -> list[int]:
    """Return the years the zone's data names (starts, stops, openings, closings), sorted.

    Useful to offer the years where the network changed, plus this year.
    """
    years: set[int] = {current_year()}
    for frame, columns in (
        (zone.synergies, ("since", "until")),
        (zone.companies, ("since", "closed")),
        (zone.flows, ("since", "closed")),
    ):
        for column in columns:
            years.update(int(y) for y in _years(frame, column).dropna())
    return sorted(years)
