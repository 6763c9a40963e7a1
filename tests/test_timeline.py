"""The network's timeline drawn in local time, counts in whole numbers, dates as readers write."""

from __future__ import annotations

import pandas as pd

from eit_geo.timeline import timeline_figure


def _events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "candidate_id": ["a", "b", "b"],
            "label": ["A → B : vapeur", "C → D : eau", "C → D : eau"],
            "event": ["in_place", "identified", "in_place"],
            # 22:30 UTC on 31 December is already the new year in Paris (UTC+1 in winter)
            "date": pd.to_datetime(
                ["2020-01-01T00:00Z", "2026-12-31T22:30Z", "2026-07-04T15:05Z"], utc=True
            ),
            "origin": ["zone", "workshop", "workshop"],
        }
    )


def test_timeline_in_local_time_with_whole_counts() -> None:
    figure = timeline_figure(_events(), lang="fr")
    identified = next(trace for trace in figure.data if trace.name == "identifiée")
    assert pd.Timestamp(identified.x[0]) == pd.Timestamp("2026-12-31 23:30")  # Paris time
    placed = next(trace for trace in figure.data if trace.name == "mise en place")
    assert pd.Timestamp(placed.x[-1]) == pd.Timestamp("2026-07-04 17:05")  # summer: UTC+2
    assert figure.layout.yaxis.tickformat == ",d"
    assert figure.layout.yaxis.dtick == 1  # two synergies: a tick for each, never « 0,5 »
    assert "%d/%m/%Y" in identified.hovertemplate  # day before month, in figures
    stops = {stop.value for stop in figure.layout.xaxis.tickformatstops}
    assert "%m/%Y" in stops  # no English month name in a French chart
    assert figure.layout.separators == ",\u202f"


def test_timeline_in_english() -> None:
    figure = timeline_figure(_events(), lang="en")
    stops = {stop.value for stop in figure.layout.xaxis.tickformatstops}
    assert "%b %Y" in stops
    assert figure.layout.separators == ".,"
