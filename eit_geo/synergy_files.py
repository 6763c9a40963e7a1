"""Write synergies to files, and say them in a few lines.

Candidates (a table, or `~eit_geo.matching.RankedLinks` written by chunks) and mutualisation
groups go to one CSV (a row per link or group), GeoJSON (links as lines, groups as polygons) or
GeoPackage (two layers); `summary_text` is what ``eit-geo match`` prints without ``--out``.
"""

from __future__ import annotations

import collections
import errno
import functools
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyogrio

from eit_geo.export import atomic_path, neutralise_formulas
from eit_geo.formatting import (
    format_amount,
    format_decimal,
    format_quantity,
    format_score,
    unit_label,
)
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.matching import (
    DEGREE_DIGITS,
    MaxKm,
    RankedLinks,
    links_frame,
    match_zone,
)
from eit_geo.matching.threads import thread_count
from eit_geo.zone import WGS84

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = [
    "OUTPUT_SUFFIXES",
    "draws_groups",
    "summary_text",
    "synergy_batches",
    "synergy_rows",
    "write_matches",
    "write_synergies",
]

Groups = pd.DataFrame | Future  # mutualisation groups, or groups being found on another thread

OUTPUT_SUFFIXES: tuple[str, ...] = (".csv", ".geojson", ".gpkg")
_DONTCACHE = 0x80  # Linux's RWF_DONTCACHE (uapi/linux/fs.h), which Python's os does not name
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: bytes as they are
_CSV_DIGITS: dict[str, int] = {  # the links' ends come rounded (matching.DEGREE_DIGITS)
    "distance_km": 3,
    "score": 4,
    "centre_lat": DEGREE_DIGITS,
    "centre_lon": DEGREE_DIGITS,
}
_CSV_ROWS = 50_000  # rows per table written (a few tables in memory at once, ~15 MB each)
_CSV_BATCH = 8_192  # rows Arrow turns into text at once (1,024 by default: a tenth slower)
_GROUP_TYPES: dict[str, pa.DataType] = {
    "group_id": pa.string(),
    "direction": pa.string(),
    "members": pa.string(),
    "n_members": pa.int64(),
    "centre_lat": pa.float64(),
    "centre_lon": pa.float64(),
}


def synergy_rows(substitutions: pd.DataFrame | RankedLinks, groups: Groups) -> pa.Table:
    """Return substitutions then mutualisation groups as one Arrow table, without geometry.

    Substitution rows leave ``members`` and the other group columns empty; group rows leave
    ``from_id``, ``to_id`` and the other link columns empty.
    """
    return pa.concat_tables(list(synergy_batches(substitutions, groups)))


def synergy_batches(
    substitutions: pd.DataFrame | RankedLinks, groups: Groups, *, rows: int = 200_000
) -> Iterator[pa.Table]:
    """Yield `synergy_rows` in tables of at most ``rows`` rows (memory stays bounded)."""
    return (make() for make in _batch_makers(substitutions, groups, rows))


def _rows(frame: pd.DataFrame, start: int, stop: int, *, spreadsheet: bool) -> pd.DataFrame:
    rows = frame.iloc[start:stop]
    return neutralise_formulas(rows) if spreadsheet else rows


def _batch_makers(
    substitutions: pd.DataFrame | RankedLinks,
    groups: Groups,
    rows: int,
    *,
    spreadsheet: bool = False,
) -> list[Callable[[], pa.Table]]:
    """Return functions making the tables of `synergy_batches`, in order (to run in threads).

    With ``spreadsheet``, texts a spreadsheet would run as formulas begin with ``'``
    (`eit_geo.export.neutralise_formulas`).
    """
    chunks: list[Callable[[], pa.Table | pd.DataFrame]]
    if isinstance(substitutions, RankedLinks):
        empty = substitutions.empty()
        chunks = substitutions.chunks(rows, spreadsheet=spreadsheet)
    else:
        frame = pd.DataFrame(substitutions).drop(columns="geometry", errors="ignore")
        empty = frame.iloc[:0]
        chunks = [
            functools.partial(_rows, frame, start, start + rows, spreadsheet=spreadsheet)
            for start in range(0, len(frame), rows)
        ]
    fields = [
        pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
        for f in pa.Schema.from_pandas(empty, preserve_index=False)
    ]
    fields += [pa.field(n, k) for n, k in _GROUP_TYPES.items() if n not in empty.columns]
    schema = pa.schema(fields)
    makers = [functools.partial(_link_batch, make, schema) for make in chunks]
    return [*makers, functools.partial(_group_batch, groups, schema, spreadsheet=spreadsheet)]


def _done(groups: Groups) -> pd.DataFrame:
    """Return the groups, once found when they are being found on another thread."""
    return groups.result() if isinstance(groups, Future) else groups


def _link_batch(make: Callable[[], pa.Table | pd.DataFrame], schema: pa.Schema) -> pa.Table:
    """Make a table with the columns of ``schema``: those it lacks left empty, others dropped."""
    chunk = make()
    if isinstance(chunk, pd.DataFrame):
        chunk = pa.Table.from_pandas(chunk, preserve_index=False)
    for field in schema:
        if field.name not in chunk.column_names:
            chunk = chunk.append_column(field, pa.nulls(len(chunk), field.type))
    return chunk.select(schema.names).cast(schema)


def _group_batch(groups: Groups, schema: pa.Schema, *, spreadsheet: bool) -> pa.Table:
    frame = pd.DataFrame(_done(groups)).drop(columns="geometry", errors="ignore")
    return _link_batch(lambda: neutralise_formulas(frame) if spreadsheet else frame, schema)


def _rounded(table: pa.Table) -> pa.Table:
    """Round km to the metre, scores to 4 decimals and centres to 6 (~0.1 m) for the CSV."""
    for name, digits in _CSV_DIGITS.items():
        if name in table.column_names:
            index = table.column_names.index(name)
            table = table.set_column(index, name, pc.round(table[name], digits))
    return table


def write_synergies(
    substitutions: pd.DataFrame | RankedLinks,
    groups: Groups,
    path: str | Path,
    *,
    threads: int | None = None,
) -> Path:
    """Write substitutions and mutualisation groups to ``.csv``, ``.geojson`` or ``.gpkg``.

    CSV: one row per link or group (`synergy_rows`), km rounded to the metre, scores to 4
    decimals, coordinates to 6, texts a spreadsheet would run as formulas made inert (a ``'``
    first, as in every export); ``groups`` may come without geometry; from `RankedLinks`, the
    rows are made and written by chunks, never all in memory, on ``threads`` threads (None:
    the machine's cores). ``groups`` may still be being
    found (a `~concurrent.futures.Future`): a CSV file waits for them only at its end.
    GeoJSON (EPSG:4326): links as lines, groups as polygons, in one collection. GeoPackage:
    layers ``substitutions`` and ``mutualisations``. The file is replaced only once written
    whole.

    Raises
    ------
    ValueError
        For another suffix.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise ValueError(t("engine.bad_out", value=target.name))
    with atomic_path(target) as tmp:
        if suffix == ".csv":
            makers = _batch_makers(substitutions, groups, _CSV_ROWS, spreadsheet=True)
            _write_csv(makers, tmp, thread_count(threads))
            return target
        groups = _done(groups)
        if isinstance(substitutions, RankedLinks):
            substitutions = substitutions.table()
        links = (
            substitutions
            if isinstance(substitutions, gpd.GeoDataFrame)
            else links_frame(substitutions)
        )
        if suffix == ".gpkg":
            pyogrio.write_dataframe(links, tmp, layer="substitutions", driver="GPKG")
            pyogrio.write_dataframe(groups, tmp, layer="mutualisations", driver="GPKG", append=True)
        else:
            both = pd.concat([links, groups], ignore_index=True)
            both = gpd.GeoDataFrame(both, geometry="geometry", crs=WGS84)
            pyogrio.write_dataframe(
                both, tmp, layer=target.stem, driver="GeoJSON", geometry_type="Unknown"
            )  # named after the file, not the temporary one
    return target


def _write_csv(makers: list[Callable[[], pa.Table]], path: Path, threads: int) -> None:
    """Write the tables of ``makers`` as one CSV file, made and encoded on ``threads`` threads.

    Each thread makes a table and turns it into CSV text (Arrow frees the GIL); this one writes
    the texts in order, with at most a few of them waiting, so memory stays bounded.
    """
    with _StreamedFile(path) as out, ThreadPoolExecutor(max_workers=threads) as pool:
        waiting: collections.deque[Future[pa.Buffer]] = collections.deque()
        for index, make in enumerate(makers):
            waiting.append(pool.submit(_csv_text, make, header=index == 0))
            if len(waiting) > threads:
                out.write(waiting.popleft().result())
        while waiting:
            out.write(waiting.popleft().result())


class _StreamedFile:
    """A file written once from start to end, whose pages the system drops once on disk.

    A CSV of a region holds about a gigabyte: kept in the page cache, it would push out what
    the machine had cached, and on a virtual machine each fresh page of cache costs as much as
    encoding it. Where the system has uncached buffered writes (``pwritev`` with
    ``RWF_DONTCACHE``, Linux 6.14 and later), each text is written that way: the system puts
    it on disk at once and gives its pages back for the next ones. Elsewhere, or when the file
    system refuses it, a plain write.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _O_BINARY, 0o666)
        self._offset = 0
        self._flags = _DONTCACHE if sys.platform == "linux" else None  # None: a plain write

    def __enter__(self) -> _StreamedFile:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def write(self, data: pa.Buffer) -> None:
        """Write ``data`` whole after what was written before."""
        view = memoryview(data)
        while view:
            written = self._write(view)
            self._offset += written
            view = view[written:]

    def _write(self, view: memoryview) -> int:
        if self._flags is None:
            return os.write(self._fd, view)
        try:
            return os.pwritev(self._fd, [view], self._offset, self._flags)
        except OSError as error:  # an older system, or a file system without uncached writes
            if not self._flags or error.errno != errno.EOPNOTSUPP:
                raise
            self._flags = 0
            return os.pwritev(self._fd, [view], self._offset, 0)


def _csv_text(make: Callable[[], pa.Table], *, header: bool) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    options = pa_csv.WriteOptions(include_header=header, batch_size=_CSV_BATCH)
    pa_csv.write_csv(_rounded(make()), sink, options)
    return sink.getvalue()


def summary_text(
    substitutions: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    zone_name: str = "",
    lang: str = DEFAULT_LANGUAGE,
    rows: int = 15,
) -> str:
    """Return a readable summary: counts, the best candidates and the largest groups."""
    existing = substitutions["status"] == "existing"
    lines = [
        t(
            "engine.summary",
            lang,
            zone=zone_name,
            candidates=int((~existing).sum()),
            existing=int(existing.sum()),
            groups=len(groups),
            more=substitutions.attrs.get("more", 0),
        ),
    ]
    if "allocated_quantity" in substitutions:
        used = substitutions[substitutions["allocated_quantity"] > 0]
        totals = used.groupby("unit", observed=True)["allocated_quantity"].sum()
        quantity = ", ".join(
            format_quantity(round(value), str(unit), lang) for unit, value in totals.items()
        )
        lines.append(t("engine.allocated", lang, quantity=quantity, candidates=len(used)))
    lines += ["", t("engine.top_title", lang)]
    links = {
        "from_id": "col_from",
        "to_id": "col_to",
        "resource": "col_resource",
        "input_resource": "col_input",
        "quantity": "col_quantity",
        "unit": "col_unit",
        "distance_km": "col_km",
        "score": "col_score",
        "status": "col_status",
    }
    lines.append(_text_table(substitutions.head(rows), links, lang))
    lines += ["", t("engine.groups_title", lang)]
    largest = groups.sort_values("n_members", ascending=False).head(rows) if len(groups) else groups
    group_columns = {
        "direction": "col_direction",
        "resource": "col_resource",
        "quantity": "col_quantity",
        "unit": "col_unit",
        "members": "col_members",
    }
    lines.append(_text_table(largest, group_columns, lang))
    return "\n".join(lines)


_TRANSLATED = ("status", "direction")
_NUMBERS: dict[str, Callable[[object, str], str]] = {
    "quantity": format_amount,
    "distance_km": lambda km, lang: format_decimal(km, lang, decimals=1),
    "score": format_score,
}


def _text_table(frame: pd.DataFrame, columns: Mapping[str, str], lang: str) -> str:
    if frame.empty:
        return f"  ({t('engine.none', lang)})"
    shown = pd.DataFrame(frame)[list(columns)].astype(
        {c: "str" for c in _TRANSLATED if c in columns}
    )
    for column in _TRANSLATED:
        if column in columns:
            shown[column] = shown[column].map(lambda v, c=column: t(f"engine.{c}_{v}", lang))
    for column, write in _NUMBERS.items():
        if column in shown:
            shown[column] = [write(value, lang) for value in shown[column]]
    if "unit" in shown:
        shown["unit"] = [unit_label(str(unit), lang) for unit in shown["unit"]]
    shown = shown.rename(columns={c: t(f"engine.{key}", lang) for c, key in columns.items()})
    return shown.to_string(index=False)


def draws_groups(path: str | Path) -> bool:
    """Tell whether a file at ``path`` draws the groups' hulls: GeoJSON and GeoPackage, not CSV."""
    return Path(path).suffix.lower() != ".csv"


def write_matches(
    zone: Zone,
    path: str | Path,
    *,
    max_km: MaxKm = None,
    top_k: int = 10,
    threads: int | None = None,
    release: Callable[[], object] | None = None,
) -> tuple[RankedLinks, gpd.GeoDataFrame | pd.DataFrame]:
    """Rank a zone's substitutions, find its groups and write both (`write_synergies`).

    What ``eit-geo match ZONE --out FILE`` does (`~eit_geo.matching.match_zone`): the groups
    (default distances: ``max_km`` is for substitutions) are found along with the search, and
    made while the candidates are ranked and written (a CSV file, by chunks). Returns the
    candidates and the groups. ``threads`` and ``release``: as in
    `~eit_geo.matching.match_zone`.
    """
    hulls = draws_groups(path)
    ranked, groups = match_zone(
        zone, max_km=max_km, top_k=top_k, geometry=hulls, threads=threads, release=release
    )
    write_synergies(ranked, groups, path, threads=threads)
    return ranked, groups.result()
