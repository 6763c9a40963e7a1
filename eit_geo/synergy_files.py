"""Write synergies to files, and say them in a few lines.

Candidates (a table, or `~eit_geo.matching.RankedLinks` written by chunks) and mutualisation
groups go to one CSV (a row per link or group), GeoJSON (links as lines, groups as polygons) or
GeoPackage (two layers); `summary_text` is what ``eit-geo match`` prints without ``--out``.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import functools
import mmap
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

from eit_geo.export import atomic_path
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
from eit_geo.zone import WGS84

if sys.platform != "win32":
    import fcntl

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
_THREADS = 2  # threads making and encoding the tables of a CSV file

OUTPUT_SUFFIXES: tuple[str, ...] = (".csv", ".geojson", ".gpkg")
_CSV_DIGITS: dict[str, int] = {  # the links' ends come rounded (matching.DEGREE_DIGITS)
    "distance_km": 3,
    "score": 4,
    "centre_lat": DEGREE_DIGITS,
    "centre_lon": DEGREE_DIGITS,
}
_CSV_ROWS = 25_000  # rows per table written (a few tables in memory at once)
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


def _rows(frame: pd.DataFrame, start: int, stop: int) -> pd.DataFrame:
    return frame.iloc[start:stop]


def _batch_makers(
    substitutions: pd.DataFrame | RankedLinks, groups: Groups, rows: int
) -> list[Callable[[], pa.Table]]:
    """Return functions making the tables of `synergy_batches`, in order (to run in threads)."""
    if isinstance(substitutions, RankedLinks):
        empty, chunks = substitutions.empty(), substitutions.chunks(rows)
    else:
        frame = pd.DataFrame(substitutions).drop(columns="geometry", errors="ignore")
        empty = frame.iloc[:0]
        chunks = [
            functools.partial(_rows, frame, start, start + rows)
            for start in range(0, len(frame), rows)
        ]
    fields = [
        pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
        for f in pa.Schema.from_pandas(empty, preserve_index=False)
    ]
    fields += [pa.field(n, k) for n, k in _GROUP_TYPES.items() if n not in empty.columns]
    schema = pa.schema(fields)
    makers = [functools.partial(_link_batch, make, schema) for make in chunks]
    return [*makers, functools.partial(_group_batch, groups, schema)]


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


def _group_batch(groups: Groups, schema: pa.Schema) -> pa.Table:
    frame = pd.DataFrame(_done(groups)).drop(columns="geometry", errors="ignore")
    return _link_batch(lambda: frame, schema)


def _rounded(table: pa.Table) -> pa.Table:
    """Round km to the metre, scores to 4 decimals and centres to 6 (~0.1 m) for the CSV."""
    for name, digits in _CSV_DIGITS.items():
        if name in table.column_names:
            index = table.column_names.index(name)
            table = table.set_column(index, name, pc.round(table[name], digits))
    return table


def write_synergies(
    substitutions: pd.DataFrame | RankedLinks, groups: Groups, path: str | Path
) -> Path:
    """Write substitutions and mutualisation groups to ``.csv``, ``.geojson`` or ``.gpkg``.

    CSV: one row per link or group (`synergy_rows`), km rounded to the metre, scores to 4
    decimals, coordinates to 6; ``groups`` may come without geometry; from `RankedLinks`, the
    rows are made and written by chunks, never all in memory. ``groups`` may still be being
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
            _write_csv(_batch_makers(substitutions, groups, _CSV_ROWS), tmp)
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


def _write_csv(makers: list[Callable[[], pa.Table]], path: Path) -> None:
    """Write the tables of ``makers`` as one CSV file, made and encoded by two threads.

    Each thread makes a table and turns it into CSV text (Arrow frees the GIL); this one writes
    the texts in order, with at most a few of them waiting, so memory stays bounded.
    """
    with _UncachedFile(path) as out, ThreadPoolExecutor(max_workers=_THREADS) as pool:
        waiting: collections.deque = collections.deque()
        for index, make in enumerate(makers):
            waiting.append(pool.submit(_csv_text, make, header=index == 0))
            if len(waiting) > _THREADS:
                out.write(waiting.popleft().result())
        while waiting:
            out.write(waiting.popleft().result())


_BLOCK = 4096  # O_DIRECT writes whole blocks, from memory aligned on them
_STAGED = 4096 * _BLOCK  # 16 MiB gathered before each write


class _UncachedFile:
    """A new file written around the system's page cache, for files of a gigabyte.

    On Linux, the text is gathered in a buffer of whole pages and written with ``O_DIRECT``:
    the disk takes it from there, instead of the system copying it into pages of its cache
    first (a second of CPU for a gigabyte on a virtual machine, where fresh pages are dear) and
    saving them later. The last partial block is written the usual way. Elsewhere, or when the
    file system refuses ``O_DIRECT``, each text is written and its cached pages let go of as
    soon as they are saved (``posix_fadvise``, where there is one).
    """

    def __init__(self, path: Path) -> None:
        self._staged = mmap.mmap(-1, _STAGED)  # anonymous memory: aligned on pages
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # opened last
        self._filled = 0
        self._direct = _switch_direct(self._fd, on=True)

    def __enter__(self) -> _UncachedFile:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if kind is None:
                whole = self._filled - self._filled % _BLOCK
                self._flush(whole)
                if self._direct:
                    _switch_direct(self._fd, on=False)
                with memoryview(self._staged) as staged:
                    _write_all(self._fd, staged[: self._filled])
        finally:
            os.close(self._fd)
            with contextlib.suppress(BufferError):  # a view held by a failure's traceback
                self._staged.close()  # (then freed with it)

    def write(self, text: pa.Buffer) -> None:
        """Write ``text`` after what was written before."""
        if not self._direct:
            start = os.lseek(self._fd, 0, os.SEEK_CUR)
            _write_all(self._fd, memoryview(text))
            if hasattr(os, "posix_fadvise"):  # not on Windows or macOS
                os.posix_fadvise(self._fd, start, len(text), os.POSIX_FADV_DONTNEED)
            return
        rest = memoryview(text)
        while rest:
            size = min(len(rest), _STAGED - self._filled)
            self._staged[self._filled : self._filled + size] = rest[:size]
            self._filled, rest = self._filled + size, rest[size:]
            if self._filled == _STAGED:
                self._flush(_STAGED)

    def _flush(self, size: int) -> None:
        """Write the first ``size`` bytes gathered (whole blocks) and keep the others."""
        with memoryview(self._staged) as staged:
            try:
                _write_all(self._fd, staged[:size])
            except OSError as error:  # a file system taking O_DIRECT but not these blocks
                if error.errno != errno.EINVAL or not self._direct:
                    raise
                self._direct = _switch_direct(self._fd, on=False)
                _write_all(self._fd, staged[:size])
        self._staged.move(0, size, self._filled - size)
        self._filled -= size


def _switch_direct(fd: int, *, on: bool) -> bool:
    """Turn ``O_DIRECT`` on or off for ``fd``; return whether it is on."""
    if sys.platform == "win32" or not hasattr(os, "O_DIRECT"):  # Linux only
        return False
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    try:
        fcntl.fcntl(fd, fcntl.F_SETFL, (flags | os.O_DIRECT) if on else (flags & ~os.O_DIRECT))
    except OSError:  # a file system without it (tmpfs)
        return False
    return on


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        data = data[os.write(fd, data) :]


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
    zone: Zone, path: str | Path, *, max_km: MaxKm = None, top_k: int = 10
) -> tuple[RankedLinks, gpd.GeoDataFrame | pd.DataFrame]:
    """Rank a zone's substitutions, find its groups and write both (`write_synergies`).

    What ``eit-geo match ZONE --out FILE`` does (`~eit_geo.matching.match_zone`): the groups
    (default distances: ``max_km`` is for substitutions) are found along with the search, and
    made while the candidates are ranked and written (a CSV file, by chunks). Returns the
    candidates and the groups.
    """
    ranked, groups = match_zone(zone, max_km=max_km, top_k=top_k, geometry=draws_groups(path))
    write_synergies(ranked, groups, path)
    return ranked, groups.result()
