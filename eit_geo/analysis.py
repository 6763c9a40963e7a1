"""The analysis of a zone: candidates, groups, allocation, scenarios, computed once, on demand.

An `Analysis` is a zone and its settings (distances, top-k, factors, prices, the workshop's
selection or board, the year whose synergies are in place). Each part is computed the first
time it is asked for, then kept::

    zone ─┬─ running (year) ── candidates (+ max_km, top_k) ─┬─ allocation ── optimal
          │                                                 │    (+ factors, prices)
          │                                                 └─ selected
          │                                                      (+ selected, factors, prices)
          ├─ groups (year)
          ├─ existing (year, factors, prices)
          └─ workshop (board)

Analyses made from one another (`Analysis.with_settings`, `dataclasses.replace`) share what
they computed, each part under the settings it depends on: new factors value the exchanges
again without searching the candidates again. One analysis may serve several threads (the
dashboard's sessions): a part is computed by one of them while the others wait for it. The
pages (``eit_geo.ui.analyses`` keeps them), the command line and the report all use it.

A zone of a region (100,000 companies, millions of candidates) is better not held as tables:
`Analysis.matches` and `Analysis.write` rank its candidates and find its groups in one pass
(`eit_geo.matching.match_zone`) without keeping them, and `Analysis.write` writes the rows to a
file by chunks, memory bounded (what ``eit-geo match`` does).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar, cast

import pandas as pd
from cachetools import LRUCache
from geopandas.array import GeometryDtype

from eit_geo.allocation import allocate
from eit_geo.errors import check_choice
from eit_geo.indicators import (
    SCENARIOS,
    Scenario,
    candidate_scenario,
    existing_scenario,
    selected_scenario,
)
from eit_geo.matching import RankedLinks, find_mutualisations, find_substitutions, match_zone
from eit_geo.network_years import running_now
from eit_geo.synergy_files import draws_groups, write_matches, write_synergies

if TYPE_CHECKING:
    from concurrent.futures import Future

    import geopandas as gpd

    from eit_geo.zone import Zone

__all__ = ["PARTS_KEPT", "Analysis", "Written", "frame_key"]

PARTS_KEPT = 64
"""Parts an analysis and those made from it keep at most (least recently used dropped first)."""

_T = TypeVar("_T")
_MATCHING = ("max_km", "top_k", "year")  # the settings the candidates depend on
_VALUING = ("factors", "prices")  # the settings every scenario depends on


def frame_key(frame: pd.DataFrame | None) -> str:
    """Return a digest of a table's columns and values (geometry aside), "" for None.

    Two tables of the same values give the same digest: a cache key for user-edited tables
    (factors, prices) and for the workshop board, whose geometry follows from the candidates.
    """
    if frame is None:
        return ""
    kept = [c for c in frame.columns if not isinstance(frame[c].dtype, GeometryDtype)]
    plain = pd.DataFrame(frame[kept])
    digest = hashlib.sha256(",".join(map(str, plain.columns)).encode())
    digest.update(pd.util.hash_pandas_object(plain, index=True).to_numpy().tobytes())
    return digest.hexdigest()


class Written(NamedTuple):
    """What `Analysis.write` wrote: substitution rows, existing synergies among them, groups."""

    substitutions: int
    existing: int
    groups: int


class _Parts:
    """The parts computed for one zone, by part and settings, each computed by one thread."""

    def __init__(self, zone: Zone) -> None:
        self.zone = zone
        self._values: LRUCache[Hashable, Any] = LRUCache(maxsize=PARTS_KEPT)
        self._busy: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], _T]) -> _T:
        """Return the part of ``key``, computed by ``compute`` unless it is kept already."""
        with self._lock:
            if key in self._values:
                return self._values[key]
            busy = self._busy.setdefault(key, threading.Lock())
        with busy:  # another thread computing this part: wait for it and take its value
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = compute()
                with self._lock:
                    self._values[key] = value
            finally:
                with self._lock:
                    self._busy.pop(key, None)
        return value


@dataclass(frozen=True, eq=False)
class Analysis:
    """A zone and its settings; candidates, groups, allocation and scenarios on demand.

    Attributes
    ----------
    zone : the zone analysed
    max_km : maximum distances as ``(code_or_family, km)`` pairs (``MapFilter.max_km``) or
        a mapping, kept as sorted pairs; empty for the defaults (`matching.resolve_max_km`)
    top_k : candidates kept per offer and per need (0 keeps all)
    factors, prices : tables edited by the user (`eit_geo.indicators.compute_exchanges`);
        None for the shipped factors and no prices
    selected : ``candidate_id`` values of the ``selected`` scenario, in the order they take
        what is left (`eit_geo.workshop.selected_ids`), a set in the candidates' order; None
        before any workshop
    board : the workshop board (`eit_geo.workshop.build_board`) for the `workshop` scenario
    year : the year whose running synergies are in place (`eit_geo.network_years.running_now`);
        None for this year: a synergy that stopped is not existing, its pair a lead again
    """

    zone: Zone
    max_km: tuple[tuple[str, float], ...] = ()
    top_k: int = 10
    factors: pd.DataFrame | None = None
    prices: pd.DataFrame | None = None
    selected: tuple[str, ...] | frozenset[str] | None = None
    board: pd.DataFrame | None = None
    year: int | None = None
    _parts: _Parts | None = field(default=None, repr=False)
    _settings: dict[str, Hashable] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        limits = self.max_km.items() if isinstance(self.max_km, Mapping) else self.max_km
        object.__setattr__(self, "max_km", tuple(sorted((str(k), float(v)) for k, v in limits)))
        chosen = self.selected  # hashable: a sequence keeps its order, a set has none
        if chosen is not None and not isinstance(chosen, tuple | frozenset):
            ordered = isinstance(chosen, Sequence) and not isinstance(chosen, str)
            object.__setattr__(self, "selected", (tuple if ordered else frozenset)(chosen))
        if self._parts is None or self._parts.zone is not self.zone:  # shared per zone only
            object.__setattr__(self, "_parts", _Parts(self.zone))
        self._settings.update(  # each setting as a hashable value, tables as their digest
            max_km=self.max_km,
            top_k=self.top_k,
            factors=frame_key(self.factors),
            prices=frame_key(self.prices),
            selected=self.selected,
            board=frame_key(self.board),
            year=self.year,
        )

    def with_settings(self, **settings: Any) -> Analysis:  # noqa: ANN401 - the fields' types
        """Return the analysis of the same zone under other settings, sharing what is computed.

        ``settings`` are fields of `Analysis` other than ``zone``.
        """
        return replace(self, **settings)

    @property
    def settings_key(self) -> tuple[Hashable, ...]:
        """Return the settings as hashable values: equal for analyses of equal settings."""
        return tuple(self._settings.values())

    def _part(self, name: str, depends: tuple[str, ...], compute: Callable[[], _T]) -> _T:
        """Return the part ``name``, kept under the values of the settings it ``depends`` on.

        Parts are kept by the shared store, not by `functools.cached_property`, whose one lock
        per property (Python 3.11) would make analyses of different zones wait for one another.
        """
        key = (name, *(self._settings[setting] for setting in depends))
        return cast("_Parts", self._parts).get(key, compute)

    @property
    def _tables(self) -> dict[str, pd.DataFrame | None]:
        return {"factors": self.factors, "prices": self.prices}

    @property
    def running(self) -> Zone:
        """Return the zone as it runs in ``year`` (`eit_geo.network_years.running_now`)."""
        return self._part("running", ("year",), lambda: running_now(self.zone, self.year))

    @property
    def candidates(self) -> gpd.GeoDataFrame:
        """Return the substitution links, existing (running in ``year``) and candidates."""
        return self._part(
            "candidates",
            _MATCHING,
            lambda: find_substitutions(self.running, max_km=self._max_km, top_k=self.top_k),
        )

    @property
    def _max_km(self) -> dict[str, float] | None:
        return dict(self.max_km) or None

    def _matched(
        self, *, geometry: bool, release: Callable[[], object] | None
    ) -> tuple[RankedLinks, Future]:
        """Rank the candidates and find the groups in one pass (`matching.match_zone`)."""
        return match_zone(
            self.running, max_km=self._max_km, top_k=self.top_k, geometry=geometry, release=release
        )

    def matches(
        self, *, allocated: bool = False, release: Callable[[], object] | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Return the candidates and the groups as tables without geometry, not kept.

        Made in one pass (`eit_geo.matching.match_zone`), lighter than `candidates` and
        `groups`: the links carry their ends' coordinates and their texts as categories
        (`eit_geo.matching.rank_substitutions`), the groups no hull. ``allocated`` adds the
        optimal ``allocated_quantity`` (`eit_geo.allocation.allocate`). ``release`` is called
        where the search has freed large arrays (`~eit_geo.matching.match_zone`).
        """
        ranked, groups = self._matched(geometry=False, release=release)
        links = ranked.table()
        return (allocate(links) if allocated else links), groups.result()

    def write(
        self,
        path: str | Path,
        *,
        allocated: bool = False,
        release: Callable[[], object] | None = None,
    ) -> Written:
        """Write the candidates and the groups of `matches` to ``path``, not kept; say how many.

        ``.csv``, ``.geojson`` or ``.gpkg`` (`eit_geo.synergy_files.write_synergies`); the
        groups have their hulls unless in a CSV file. Without ``allocated``, the rows are made
        and written by chunks while the groups are found (`eit_geo.synergy_files.write_matches`):
        memory stays bounded on a region's millions of candidates.

        Raises
        ------
        ValueError
            For another suffix.
        OSError
            When the file cannot be written.
        """
        if allocated:
            ranked, found = self._matched(geometry=draws_groups(path), release=release)
            groups = found.result()
            write_synergies(allocate(ranked.table()), groups, path)
        else:
            ranked, groups = write_matches(
                self.running, path, max_km=self._max_km, top_k=self.top_k, release=release
            )
        return Written(len(ranked), ranked.existing, len(groups))

    @property
    def groups(self) -> gpd.GeoDataFrame:
        """Return the mutualisation groups at their default distances (`find_mutualisations`).

        Groups of the zone as it runs in ``year``: a closed company or an ended flow is in none.
        """
        groups = self._part("groups", ("year",), lambda: find_mutualisations(self.running))
        return cast("gpd.GeoDataFrame", groups)  # with their hulls: geometry=True

    @property
    def table(self) -> pd.DataFrame:
        """Return `candidates` without geometry, as the allocation and scenarios take them."""
        return self._part(
            "table", _MATCHING, lambda: pd.DataFrame(self.candidates.drop(columns="geometry"))
        )

    @property
    def allocation(self) -> pd.DataFrame:
        """Return `table` with the optimal ``allocated_quantity`` (`allocation.allocate`)."""
        return self._part("allocation", _MATCHING, lambda: allocate(self.table))

    @property
    def existing(self) -> Scenario:
        """Return the ``existing`` scenario: the zone's synergies running in ``year``."""
        return self._part(
            "existing",
            (*_VALUING, "year"),
            lambda: existing_scenario(self.zone, year=self.year, **self._tables),
        )

    @property
    def optimal(self) -> Scenario:
        """Return the ``optimal`` scenario: existing synergies plus the optimal `allocation`."""
        return self._part(
            "optimal",
            (*_MATCHING, *_VALUING),
            lambda: candidate_scenario("optimal", self.zone, self.allocation, **self._tables),
        )

    @property
    def selected_scenario(self) -> Scenario:
        """Return the ``selected`` scenario: the candidates of ``selected``, in their order."""
        return self._part(
            "selected",
            (*_MATCHING, *_VALUING, "selected"),
            lambda: selected_scenario(self.zone, self.table, self.selected, **self._tables),
        )

    @property
    def workshop(self) -> Scenario:
        """Return the ``selected`` scenario of the `board`: what each retained lead takes.

        Raises
        ------
        ValueError
            When the analysis has no board.
        """
        from eit_geo import workshop  # noqa: PLC0415 - its map layer (folium) not in the CLI

        board = self.board
        if board is None:
            msg = "workshop: this analysis has no board (Analysis.board)"
            raise ValueError(msg)
        return self._part(
            "workshop", ("board",), lambda: workshop.selected_scenario(self.zone, board)
        )

    def scenario(self, name: str) -> Scenario:
        """Return the scenario ``name`` of `eit_geo.indicators.SCENARIOS`.

        Raises
        ------
        ValueError
            On another name.
        """
        check_choice("scenario", name, SCENARIOS)
        parts = {"existing": "existing", "optimal": "optimal", "selected": "selected_scenario"}
        return getattr(self, parts[name])
