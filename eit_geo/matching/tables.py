"""Output tables: ranked links as arrays, their rows made on demand (pandas or Arrow)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from eit_geo.export import is_formula, neutralise_formulas
from eit_geo.matching.distances import _resolve
from eit_geo.matching.points import _metres, _Prepared
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    from eit_geo.matching.pairs import _Pairs
    from eit_geo.matching.residuals import _Used
    from eit_geo.matching.search import _Search

__all__ = ["QUANTITY_COLUMNS", "SUBSTITUTION_COLUMNS", "RankedLinks", "links_frame"]

QUANTITY_COLUMNS: tuple[str, ...] = (
    "quantity",
    "offer_quantity",
    "need_quantity",
    "existing_quantity",
    "offer_used",
    "need_used",
)
"""The quantities of a link (same unit): exchanged, offered, needed, declared, already used."""
SUBSTITUTION_COLUMNS: tuple[str, ...] = (
    "candidate_id",
    "kind",
    "status",
    "from_id",
    "to_id",
    "from_name",
    "to_name",
    "from_flow_id",
    "to_flow_id",
    "resource",
    "input_resource",
    "family",
    "match",
    "conversion",
    *QUANTITY_COLUMNS,
    "offer_used_by",
    "need_used_by",
    "unit",
    "distance_km",
    "max_km",
    "score",
    "more_for_offer",
    "more_for_need",
)


class RankedLinks:
    """Ranked substitution candidates as arrays; their table rows are made on demand.

    ``len`` counts the rows, `existing` those of existing synergies, `table` makes them all
    (what `rank_substitutions` returns) and `chunks` a few at a time as Arrow tables, in the
    same order.
    """

    def __init__(
        self,
        prep: _Prepared,
        search: _Search,
        rows: _Pairs,
        *,
        score: np.ndarray,
        existing: np.ndarray,
        synergy_quantity: np.ndarray,
        unmatched: pd.DataFrame | None,
        used: _Used,
        kept: int,
        texts: _LinkTexts,
    ) -> None:
        self._prep, self._search, self._rows, self._used = prep, search, rows, used
        self._score, self._existing, self._synergy_quantity = score, existing, synergy_quantity
        self._unmatched = unmatched
        n_flows = len(prep.flows)
        new = ~existing  # candidates: the partners counted in reach are theirs
        self._more_for_offer = search.offer_count - np.bincount(rows.offer[new], minlength=n_flows)
        self._more_for_need = search.need_count - np.bincount(rows.need[new], minlength=n_flows)
        self._twice, self._text = texts.twice, texts.text
        found = int(search.offer_count.sum())
        self.attrs = {"found": found, "kept": kept, "more": max(found - kept, 0)}

    def __len__(self) -> int:
        return len(self._rows) + (0 if self._unmatched is None else len(self._unmatched))

    @property
    def existing(self) -> int:
        """How many rows are existing synergies."""
        return int(self._existing.sum()) + (0 if self._unmatched is None else len(self._unmatched))

    def table(self) -> pd.DataFrame:
        """Return every row (`rank_substitutions`)."""
        table = self._frame(0, len(self._rows))
        if self._unmatched is not None:
            table = pd.concat([table, self._unmatched], ignore_index=True)
        table.attrs.update(self.attrs)
        return table

    def empty(self) -> pd.DataFrame:
        """Return a table of no rows, with the columns and types of `table`."""
        return self._frame(0, 0)

    def chunks(
        self, size: int, *, spreadsheet: bool = False
    ) -> list[Callable[[], pa.Table | pd.DataFrame]]:
        """Return functions making the rows ``size`` at a time, in order (to run in threads).

        Arrow tables (text as strings), then the existing synergies without flows as a table.
        With ``spreadsheet``, a text that a spreadsheet would run as a formula begins with
        ``'`` (`eit_geo.export.neutralise_formulas`), each distinct text checked once.
        """
        stops = [*range(0, len(self._rows), size), len(self._rows)]
        makers: list[Callable[[], pa.Table | pd.DataFrame]] = [
            functools.partial(self._arrow, start, stop, spreadsheet=spreadsheet)
            for start, stop in itertools.pairwise(stops)
        ] or [functools.partial(self._arrow, 0, 0, spreadsheet=spreadsheet)]
        unmatched = self._unmatched
        if unmatched is not None:
            makers.append(
                functools.partial(neutralise_formulas, unmatched)
                if spreadsheet
                else functools.partial(pd.DataFrame.copy, unmatched, deep=False)
            )
        return makers

    def _frame(self, start: int, stop: int) -> pd.DataFrame:
        """Return rows ``start`` to ``stop`` as a table, text as categories."""
        columns = self._columns(start, stop)
        table = {
            name: value.categorical() if isinstance(value, _Picked) else value
            for name, value in columns.items()
        }
        table["candidate_id"] = pd.Series(_arrow_column(columns["candidate_id"]).to_pandas()).array
        return pd.DataFrame(table, copy=False)  # fresh arrays: no copy, no consolidation

    def _arrow(self, start: int, stop: int, *, spreadsheet: bool = False) -> pa.Table:
        """Return rows ``start`` to ``stop`` as an Arrow table, text as strings (`chunks`)."""
        columns = self._columns(start, stop)
        from_id, ids = columns["from_id"], columns["candidate_id"]
        if spreadsheet and isinstance(from_id, _Picked) and isinstance(ids, pa.Array):
            columns["candidate_id"] = _quoted(ids, from_id.risky)  # an id starts with from_id
        return pa.table(
            {name: _arrow_column(value, spreadsheet=spreadsheet) for name, value in columns.items()}
        )

    def _columns(self, start: int, stop: int) -> dict[str, _Column]:
        """Return the columns of rows ``start`` to ``stop``: arrays, or texts to pick."""
        prep, rules, text = self._prep, self._search.rules, self._text
        flows = prep.flows
        rows = self._rows.take(slice(start, stop))
        a, b = prep.company[rows.offer], prep.company[rows.need]
        quantity = flows["quantity"].to_numpy(dtype=float)
        offer_q, need_q = quantity[rows.offer], quantity[rows.need]
        used, left, existing = self._used, self._used.left, self._existing[start:stop]
        flow_id = flows["flow_id"].to_numpy()
        from_id, to_id = text["id"].pick(a), text["id"].pick(b)
        columns: dict[str, _Column] = {
            "candidate_id": _candidate_ids(
                from_id.strings,
                to_id.strings,
                text["codes"].pick(rows.rule).strings,
                twins=self._twice[rows.offer] | self._twice[rows.need],
                flow_ids=(flow_id[rows.offer], flow_id[rows.need]),
            ),
            "kind": text["kind"].pick(np.zeros(len(a), dtype=np.int64)),
            "status": text["status"].pick(self._existing[start:stop].astype(np.int64)),
            "from_id": from_id,
            "to_id": to_id,
            "from_name": text["name"].pick(a),
            "to_name": text["name"].pick(b),
            "from_flow_id": flow_id[rows.offer],
            "to_flow_id": flow_id[rows.need],
            **{column: text[column].pick(rows.rule) for column in _RULE_COLUMNS},
            "quantity": np.where(
                existing,
                self._synergy_quantity[start:stop],
                np.minimum(left[rows.offer], left[rows.need]),
            ),
            "offer_quantity": offer_q,
            "need_quantity": need_q,
            "existing_quantity": self._synergy_quantity[start:stop],
            "offer_used": used.used[rows.offer],
            "need_used": used.used[rows.need],
            "offer_used_by": used.by.pick(rows.offer),
            "need_used_by": used.by.pick(rows.need),
            "unit": text["unit"].pick(rows.offer),
            "distance_km": rows.metres / 1000.0,
            "max_km": rules["max_km"].to_numpy(dtype=float)[rows.rule],
            "score": self._score[start:stop],
            "more_for_offer": np.maximum(self._more_for_offer[rows.offer], 0),
            "more_for_need": np.maximum(self._more_for_need[rows.need], 0),
            "from_lon": prep.lonlat[a, 0],
            "from_lat": prep.lonlat[a, 1],
            "to_lon": prep.lonlat[b, 0],
            "to_lat": prep.lonlat[b, 1],
        }
        order = [*SUBSTITUTION_COLUMNS, "from_lon", "from_lat", "to_lon", "to_lat"]
        return {name: columns[name] for name in order}


_STATUSES = ["candidate", "existing"]  # status codes 0 and 1
_RULE_COLUMNS = ("resource", "input_resource", "family", "match", "conversion")


@dataclass
class _LinkTexts:
    """What `RankedLinks` picks its texts from, made once (while the ranking goes on)."""

    text: dict[str, _Text]
    twice: np.ndarray  # flows whose company gives or takes their code twice


def _link_texts(prep: _Prepared, rules: pd.DataFrame) -> _LinkTexts:
    flows = prep.flows
    twice = flows.duplicated(["company_id", "direction", "resource"], keep=False).to_numpy()
    text = {
        "kind": _Text(pd.Series(["substitution"])),
        "status": _Text(pd.Series(_STATUSES)),
        "id": _Text(prep.ids),
        "name": _Text(prep.names),
        "unit": _Text(flows["unit"]),
        "codes": _Text(rules["resource"] + ">" + rules["input_resource"]),
        **{c: _Text(rules[c]) for c in _RULE_COLUMNS},
    }
    return _LinkTexts(text, twice)


class _Text:
    """Texts as numbers and unique values, made once, to pick millions of them cheaply."""

    def __init__(self, values: pd.Series) -> None:
        self._set(*pd.factorize(values.astype("str")))

    @classmethod
    def from_codes(cls, numbers: np.ndarray, uniques: Sequence[str]) -> _Text:
        """Return the texts ``uniques[numbers]``, already factorised."""
        text = cls.__new__(cls)
        text._set(numbers, uniques)
        return text

    def _set(self, numbers: np.ndarray, uniques: Sequence[str] | pd.Index) -> None:
        self.numbers = numbers
        texts = np.asarray(uniques, dtype=object)
        self.dtype = pd.CategoricalDtype(pd.Index(texts, dtype="str"))
        self.arrow = pa.array(texts, type=pa.large_string())

    def pick(self, where: np.ndarray) -> _Picked:
        return _Picked(self, self.numbers[where])

    @functools.cached_property
    def risky(self) -> np.ndarray:
        """Tell which distinct texts a spreadsheet would run as a formula (checked once each)."""
        texts = self.arrow.to_pylist()  # Python strings: iterating the Arrow-backed index is slower
        return np.fromiter((is_formula(text) for text in texts), dtype=bool, count=len(texts))


@dataclass(frozen=True)
class _Picked:
    """Some texts of a `_Text`, as a pandas Categorical or Arrow strings (made once)."""

    text: _Text
    numbers: np.ndarray

    def categorical(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.numbers, dtype=self.text.dtype)

    @functools.cached_property
    def strings(self) -> pa.Array:
        return self.text.arrow.take(self.numbers)

    @property
    def risky(self) -> np.ndarray:
        """Tell which of the texts a spreadsheet would run as a formula."""
        return self.text.risky[self.numbers]


_Column: TypeAlias = "pa.Array | _Picked | np.ndarray"  # a column of `RankedLinks._columns`


def _arrow_column(value: _Column, *, spreadsheet: bool = False) -> pa.Array:
    """Return a column of `RankedLinks._columns` as Arrow: texts as strings, NaN as empty.

    With ``spreadsheet``, texts that would run as a formula begin with ``'``.
    """
    if isinstance(value, _Picked):
        return _quoted(value.strings, value.risky) if spreadsheet else value.strings
    return value if isinstance(value, pa.Array) else pa.array(value, from_pandas=True)


def _quoted(strings: pa.Array, risky: np.ndarray) -> pa.Array:
    """Return ``strings`` with ``'`` before those that are ``risky`` (formulas made inert)."""
    if not risky.any():
        return strings
    quoted = pc.utf8_replace_slice(strings, start=0, stop=0, replacement="'")
    return pc.if_else(pa.array(risky), quoted, strings)


def _candidate_ids(
    from_id: pa.Array,
    to_id: pa.Array,
    codes: pa.Array,
    *,
    twins: np.ndarray,
    flow_ids: tuple[np.ndarray, np.ndarray],
) -> pa.Array:
    """Return ``from_id>to_id:codes`` (``codes``: ``resource>input_resource``), joined by Arrow.

    Rows whose company gives or takes the same code twice (``twins``) get
    ``#from_flow_id-to_flow_id`` so that every id stays unique.
    """
    sep = [pa.scalar(text, pa.large_string()) for text in (">", ":", "")]
    # pyarrow-stubs take arrays or scalars, not both; Arrow broadcasts the scalar separators
    ids = pc.binary_join_element_wise(from_id, sep[0], to_id, sep[1], codes, sep[2])  # type: ignore[call-overload]
    if twins.any():
        flows = [pa.array(np.asarray(ids_)).cast(pa.large_string()) for ids_ in flow_ids]
        suffixed = pc.binary_join_element_wise(
            ids, pa.scalar("#", pa.large_string()), flows[0], pa.scalar("-", pa.large_string()),
            flows[1], sep[2],
        )  # fmt: skip
        ids = pc.if_else(pa.array(twins), suffixed, ids)
    return ids


def _arrow_text(column: pd.Series) -> pa.Array:
    array = pa.array(column)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array.cast(pa.large_string())


def _flowless_rows(
    prep: _Prepared, synergies: pd.DataFrame, overrides: Mapping[str, float]
) -> pd.DataFrame:
    """Rows for the existing synergies that no offer and need of the zone describe."""
    position = pd.Index(prep.ids)
    a = position.get_indexer(synergies["from_id"])
    b = position.get_indexer(synergies["to_id"])
    km = [_resolve(code, overrides) for code in synergies["resource"]]
    table = pd.DataFrame(
        {
            "kind": "substitution",
            "status": "existing",
            "from_id": synergies["from_id"].to_numpy(),
            "to_id": synergies["to_id"].to_numpy(),
            "from_name": prep.names.to_numpy()[a],
            "to_name": prep.names.to_numpy()[b],
            "from_flow_id": pd.array([pd.NA] * len(a), dtype="Int64"),
            "to_flow_id": pd.array([pd.NA] * len(a), dtype="Int64"),
            "resource": synergies["resource"].to_numpy(),
            "input_resource": synergies["resource"].to_numpy(),
            "family": synergies["family"].to_numpy(),
            "match": "existing",
            "conversion": "",
            "quantity": synergies["quantity"].to_numpy(dtype=float),
            "offer_quantity": np.nan,
            "need_quantity": np.nan,
            "existing_quantity": synergies["quantity"].to_numpy(dtype=float),
            "offer_used": np.nan,
            "need_used": np.nan,
            "offer_used_by": "",
            "need_used_by": "",
            "unit": synergies["unit"].to_numpy(),
            "distance_km": _metres(prep, a, b) / 1000.0,
            "max_km": [np.nan if v is None else v for v in km],
            "score": np.nan,
            "more_for_offer": 0,
            "more_for_need": 0,
            "from_lon": prep.lonlat[a, 0],
            "from_lat": prep.lonlat[a, 1],
            "to_lon": prep.lonlat[b, 0],
            "to_lat": prep.lonlat[b, 1],
        }
    )
    codes = synergies["resource"] + ">" + synergies["resource"]
    ids = _candidate_ids(
        *(_arrow_text(column) for column in (table["from_id"], table["to_id"], codes)),
        twins=np.zeros(len(table), dtype=bool),
        flow_ids=(table["from_flow_id"].to_numpy(), table["to_flow_id"].to_numpy()),
    )
    table.insert(0, "candidate_id", pd.Series(ids.to_pandas()).array)
    return table


def links_frame(table: pd.DataFrame) -> gpd.GeoDataFrame:
    """Return a substitution table with LineString geometry from its end coordinates.

    A link with an end of no position (a company to locate) has no geometry.
    """
    ends = table[["from_lon", "from_lat", "to_lon", "to_lat"]].to_numpy(dtype=float)
    placed = np.isfinite(ends).all(axis=1)
    lines = np.full(len(ends), None, dtype=object)
    lines[placed] = shapely.linestrings(ends[placed].reshape(-1, 2, 2))
    return gpd.GeoDataFrame(table, geometry=lines, crs=WGS84)


# --------------------------------------------------------------------------- mutualisation
