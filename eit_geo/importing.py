"""Turn real inventories (any mix of files, folders and zips) into a zone of the contract.

The import goes in steps a command line or a page can drive one by one:

1. `plan_import` reads the sources and recognises each table's columns and shape
   (`ImportPlan.tables`, editable, or corrected through a mapping file);
2. `build_import` merges the companies, finds the companies named, codes the resources,
   converts quantities and positions, and builds the Zone; `ImportResult` says what was
   recognised, converted and what is left to decide (the « à coder » list, the companies to
   locate), and holds the updated mapping;
3. `write_import` writes the project GeoPackage and the mapping file beside it.
"""

from __future__ import annotations

import math
import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from eit_geo.codes import canonical_alias, is_ewc_chapter, normalise_code
from eit_geo.errors import Problem, ZoneError
from eit_geo.export import export_zone
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.import_columns import header_signature, read_direction, recognise_columns
from eit_geo.import_mapping import (
    Mapping,
    MappingError,
    Notes,
    TableChoice,
    default_mapping_path,
    read_mapping,
    write_mapping,
)
from eit_geo.import_merge import Conflict, Merged, merge_companies
from eit_geo.import_report import report_text
from eit_geo.import_shapes import Extracted, classify_table, extract_table, extract_zone
from eit_geo.import_sources import Document, SourceTable, read_sources
from eit_geo.loading import RawTable, read_file_tables
from eit_geo.positions import (
    Located,
    locate_degrees,
    locate_xy,
    parse_crs,
    parse_degrees,
    split_lat_lon,
)
from eit_geo.quantities import parse_quantity
from eit_geo.resources_resolve import AUTO_CONFIDENCE, Resolution, resolve_resources
from eit_geo.siret import read_siret
from eit_geo.validation import UNLOCATED, as_text, build_zone, parse_numbers

if TYPE_CHECKING:
    from eit_geo.bounded import Limits
    from eit_geo.zone import Zone

__all__ = [
    "ImportPlan",
    "ImportReport",
    "ImportResult",
    "PositionNote",
    "TablePlan",
    "build_import",
    "plan_import",
    "plan_uploads",
    "refresh_shapes",
    "run_import",
    "write_import",
]

_DEGREES_LIMIT = 180.0
OUTPUT_NAMES = {"siret": "siret_number"}
"""Columns written under another name: ``siret`` would be read back as the id (an alias)."""
_COMPANY_COLUMNS = (
    "id", "name", "siret", "sector", "activity", "employees", "address", "postcode", "commune",
)  # fmt: skip


@dataclass
class TablePlan:
    """How one table will be read: its columns' fields and its shape, both editable.

    ``origin`` says where the choices come from: ``auto`` (recognised) or ``mapping``;
    ``imposed`` is True when the shape was chosen (in the mapping file or on a page) rather
    than recognised: `refresh_shapes` then leaves it.
    """

    table: SourceTable
    signature: str
    columns: dict[str, str]
    shape: str
    crs: str | None = None
    origin: str = "auto"
    imposed: bool = False

    @property
    def ignored(self) -> list[str]:
        """Headers left aside (not recognised, or their field already taken)."""
        return [header for header, field in self.columns.items() if not field]


@dataclass
class ImportPlan:
    """What was found in the sources and how it will be read (step 1 of an import)."""

    documents: list[Document]
    tables: list[TablePlan]
    mapping: Mapping
    crs: str | None = None
    positions: pd.DataFrame | None = None
    lang: str = DEFAULT_LANGUAGE
    problems: list[Problem] = field(default_factory=list)
    positions_name: str = ""

    @property
    def zones(self) -> list[Document]:
        """Sources that already are zones of the contract."""
        return [document for document in self.documents if document.zone is not None]


@dataclass
class PositionNote:
    """How the positions of one table were read.

    ``method`` is ``geometry``, ``lat_lon``, ``lat_lon_column`` (one column with both),
    ``xy`` or ``none``; ``crs`` the CRS converted from, ``crs_guessed`` when recognised from the
    values, ``projected_undeclared`` when a geographic file declared no CRS (or degrees) for
    coordinates in metres; ``unreadable`` rows whose position could not be read.
    """

    table: str
    method: str
    rows: int
    crs: str | None = None
    crs_guessed: bool = False
    axes_swapped: bool = False
    rows_swapped: list[int] = field(default_factory=list)
    unreadable: list[int] = field(default_factory=list)
    projected_undeclared: bool = False
    not_points: int = 0


@dataclass
class ImportReport:
    """What an import recognised, converted and left to decide, for the report and a page."""

    tables: list[TablePlan] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    positions: list[PositionNote] = field(default_factory=list)
    positions_file: tuple[str, int, int] | None = None
    spoiled_sirets: list[tuple[str, str, str]] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    quantity_statuses: Counter[str] = field(default_factory=Counter)
    conversions: list[tuple[str, str, int]] = field(default_factory=list)
    coded_given: int = 0
    coded_auto: list[tuple[str, str, float, int]] = field(default_factory=list)
    coded_by_mapping: int = 0
    to_code: list[tuple[str, tuple[tuple[str, float], ...], int]] = field(default_factory=list)
    unknown_directions: list[tuple[str, int]] = field(default_factory=list)
    companies_created: list[tuple[str, str]] = field(default_factory=list)
    unlocated: list[str] = field(default_factory=list)
    bad_employees: list[tuple[str, str]] = field(default_factory=list)
    unattached: int = 0
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    lang: str = DEFAULT_LANGUAGE


@dataclass
class ImportResult:
    """The zone built (None when nothing usable was found), its report and its mapping."""

    zone: Zone | None
    report: ImportReport
    mapping: Mapping
    notes: Notes


@dataclass
class _Work:
    """What the steps of `build_import` share: the companies, the decisions and the report."""

    merged: Merged
    mapping: Mapping
    notes: Notes
    report: ImportReport

    def pending(self, section: str, key: str, comment: str) -> None:
        """Leave an entry of the mapping to decide, with what the user needs to know."""
        self.mapping.section(section).setdefault(key, "")
        self.notes.pending.add((section, key))
        self.notes.comments[(section, key)] = comment


# ----------------------------------------------------------------------------- step 1


def plan_import(
    sources: Sequence[str | Path],
    *,
    mapping: Mapping | None = None,
    crs: str | None = None,
    positions: Path | None = None,
    lang: str = DEFAULT_LANGUAGE,
    labels: Sequence[str] | None = None,
    limits: Limits | None = None,
) -> ImportPlan:
    """Read the sources and recognise how to read each table.

    Parameters
    ----------
    sources
        Files (CSV, XLSX, GeoJSON, GeoPackage, Parquet), folders and zips, in any mix.
    mapping
        Decisions of an earlier import (``--mapping``): column choices by header signature,
        codes, quantities, directions and companies by text as written.
    crs
        CRS of X/Y columns and of geographic files that declare none (``--crs``).
    positions
        A table of positions keyed by SIRET (INSEE's layout ``siret;x;y;epsg``).
    lang
        Language of the problems and of the report.
    labels
        How the report names each source (default: its file or folder name).
    limits
        Bytes and rows a table may hold, checked while reading (default: those of `loading`).

    Returns
    -------
    ImportPlan
    """
    bounds = {"max_bytes": limits.max_bytes, "max_rows": limits.max_rows} if limits else {}
    documents, problems = read_sources(sources, lang=lang, labels=labels, **bounds)
    mapping = mapping or Mapping()
    plans = [_table_plan(table, mapping) for doc in documents for table in doc.tables]
    plan = ImportPlan(documents, plans, mapping, crs, None, lang, problems)
    if positions is not None:
        plan.positions = _positions_table(positions, lang, plan.problems, limits)
        plan.positions_name = positions.name
    refresh_shapes(plan)
    return plan


def _table_plan(table: SourceTable, mapping: Mapping) -> TablePlan:
    signature = header_signature(table.headers)
    columns = recognise_columns(table.headers)
    choice = mapping.tables.get(signature)
    plan = TablePlan(table, signature, columns, "", crs=mapping.crs)
    if choice is not None:
        plan.columns = {h: choice.columns.get(h, field) for h, field in columns.items()}
        plan.shape = choice.shape
        plan.imposed = bool(choice.shape)
        plan.crs = choice.crs or mapping.crs
        changed = plan.columns != columns or plan.shape or choice.crs
        plan.origin = "mapping" if changed else "auto"
    return plan


def refresh_shapes(plan: ImportPlan) -> None:
    """Recognise the shape of each table not fixed by the mapping, from its columns' fields."""
    chosen = {id(p): p.imposed and bool(p.shape) for p in plan.tables}
    first = {
        id(p): classify_table(set(p.columns.values()), geographic=p.table.geometry is not None)
        for p in plan.tables
    }
    elsewhere = bool(plan.zones) or any(
        (p.shape if chosen[id(p)] else first[id(p)]) == "companies" for p in plan.tables
    )
    for table_plan in plan.tables:
        if not chosen[id(table_plan)]:
            table_plan.shape = classify_table(
                set(table_plan.columns.values()),
                geographic=table_plan.table.geometry is not None,
                companies_elsewhere=elsewhere,
            )


def plan_uploads(
    files: Iterable[tuple[str, bytes]],
    *,
    mapping: Mapping | None = None,
    crs: str | None = None,
    positions: tuple[str, bytes] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    limits: Limits | None = None,
) -> ImportPlan:
    """Plan the import of uploaded files, given as ``(file name, bytes)``, as `plan_import`.

    Two uploads of the same name are two sources (« modele.xlsx », « modele.xlsx (2) »), never
    one replacing the other. The files live in a private folder only while they are read.
    ``limits`` (an upload's) are checked while each file is read, before a table is parsed whole.
    """
    files = list(files)
    with tempfile.TemporaryDirectory(prefix="eit-geo-import-") as folder:
        paths, labels = [], []
        seen: Counter[str] = Counter()
        for number, (name, data) in enumerate(files):
            base = Path(name).name or "fichier"
            seen[base] += 1
            target = Path(folder) / str(number) / base
            target.parent.mkdir()
            target.write_bytes(data)
            paths.append(target)
            labels.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
        positions_path = None
        if positions is not None:
            positions_path = Path(folder) / "positions" / (Path(positions[0]).name or "positions")
            positions_path.parent.mkdir()
            positions_path.write_bytes(positions[1])
        return plan_import(
            paths,
            mapping=mapping,
            crs=crs,
            positions=positions_path,
            lang=lang,
            labels=labels,
            limits=limits,
        )


# ----------------------------------------------------------------------------- step 2


def build_import(plan: ImportPlan) -> ImportResult:
    """Build the zone from a plan: merge companies, code resources, convert, validate.

    Returns
    -------
    ImportResult
        ``zone`` None when the sources hold no company and no flow.
    """
    report = ImportReport(tables=plan.tables, problems=list(plan.problems), lang=plan.lang)
    report.zones = [document.label for document in plan.zones]
    mapping = _carried_mapping(plan)
    notes = Notes()
    alone = [d.zone for d in plan.zones if d.zone is not None]
    if (
        len(alone) == 1
        and not any(p.shape != "ignore" for p in plan.tables)
        and plan.positions is None
    ):
        zone = alone[0]  # a zone of the contract, and nothing else: taken as it is
        report.counts = {
            name: len(getattr(zone, name)) for name in ("companies", "flows", "synergies")
        }
        placed = zone.companies.geometry.notna() & ~zone.companies.geometry.is_empty
        report.unlocated = list(zone.companies.loc[~placed, "name"])
        return ImportResult(zone, report, mapping, notes)
    parts = [extract_zone(d.zone, d.label) for d in plan.zones if d.zone is not None]
    for table_plan in plan.tables:
        if table_plan.shape == "ignore":
            continue
        located = _locate(table_plan, plan, report)
        parts.append(extract_table(table_plan.table, table_plan.columns, table_plan.shape, located))
    rows = Extracted.concat(parts)
    if rows.companies.empty and rows.flows.empty:
        return ImportResult(None, report, mapping, notes)
    work = _Work(_merge(rows.companies, report), mapping, notes, report)
    flows = _flows(rows.flows, work)
    synergies = _synergies(rows.synergies, work)
    _code_resources([flows, synergies], work)
    for table in (flows, synergies):
        _convert_quantities(table, work)
    _fill_positions(work.merged.companies, plan, report)
    built = _zone(work.merged.companies, flows, synergies, plan, report)
    return ImportResult(built, report, mapping, notes)


def _carried_mapping(plan: ImportPlan) -> Mapping:
    """Start the mapping to write: the one read, then the tables of this import."""
    mapping = Mapping(
        tables=dict(plan.mapping.tables),
        crs=plan.crs or plan.mapping.crs,
        resources=dict(plan.mapping.resources),
        quantities=dict(plan.mapping.quantities),
        directions=dict(plan.mapping.directions),
        companies=dict(plan.mapping.companies),
    )
    for table_plan in plan.tables:
        previous = mapping.tables.get(table_plan.signature, TableChoice())
        files = list(dict.fromkeys([*previous.files, table_plan.table.label]))
        imposed = table_plan.shape if table_plan.imposed else ""
        mapping.tables[table_plan.signature] = TableChoice(
            files, imposed, dict(table_plan.columns), table_plan.crs, table_plan.shape
        )
    return mapping


# -- positions


def _locate(table_plan: TablePlan, plan: ImportPlan, report: ImportReport) -> Located | None:
    """Read the positions of a table's rows, the best source first, and note how."""
    if table_plan.shape not in ("flat", "lists", "companies"):
        return None
    table = table_plan.table
    columns = {field: table.frame[h] for h, field in reversed(table_plan.columns.items()) if field}
    crs = table_plan.crs or plan.crs
    attempts: list[tuple[str, Located, PositionNote]] = []
    if table.geometry is not None and table.geometry.notna().any():
        attempts.append(_from_geometry(table, crs))
    if "lat" in columns and "lon" in columns:
        attempts.append(_from_lat_lon(table, columns["lat"], columns["lon"], crs, "lat_lon"))
    if "latlon" in columns:
        first, second = split_lat_lon(columns["latlon"])
        header = next(h for h, f in table_plan.columns.items() if f == "latlon")
        if header.strip().lower().startswith(("lon", "lng", "long")):
            first, second = second, first
        note = PositionNote(table.label, "lat_lon_column", len(table.frame))
        located = locate_degrees(first, second)
        attempts.append(("lat_lon_column", located, note))
    if "x" in columns and "y" in columns:
        attempts.append(_from_xy(table, columns, crs))
    if not attempts:
        report.positions.append(PositionNote(table.label, "none", len(table.frame)))
        return None
    located = attempts[0][1]
    for _, other, _ in attempts[1:]:
        located.lat = located.lat.fillna(other.lat)
        located.lon = located.lon.fillna(other.lon)
    for _, found, note in attempts:
        note.crs = note.crs or found.crs
        note.crs_guessed = note.crs_guessed or found.crs_guessed
        note.axes_swapped = found.axes_swapped
        note.rows_swapped = [int(r) for r in found.rows_swapped]
        note.unreadable = [int(r) for r in found.unreadable if pd.isna(located.lat.get(r))]
        report.positions.append(note)
    return located


def _from_lat_lon(
    table: SourceTable, lat: pd.Series, lon: pd.Series, crs: str | None, method: str
) -> tuple[str, Located, PositionNote]:
    """Angles in two columns; coordinates in metres there are read as X/Y."""
    note = PositionNote(table.label, method, len(table.frame))
    lat_deg, lon_deg = parse_degrees(lat), parse_degrees(lon)
    numbers = parse_numbers(lat.astype(str)), parse_numbers(lon.astype(str))
    given = numbers[0].notna() & numbers[1].notna()
    metres = given & ((numbers[0].abs() > _DEGREES_LIMIT) | (numbers[1].abs() > _DEGREES_LIMIT))
    if given.any() and metres.sum() > given.sum() / 2:
        note.method = "xy"
        return "xy", locate_xy(lon, lat, crs=crs), note
    return method, locate_degrees(lat_deg, lon_deg), note


def _from_xy(
    table: SourceTable, columns: dict[str, pd.Series], crs: str | None
) -> tuple[str, Located, PositionNote]:
    """X/Y columns: projected coordinates, or degrees under those names."""
    x = parse_numbers(columns["x"].astype(str))
    y = parse_numbers(columns["y"].astype(str))
    given = x.notna() & y.notna()
    degrees = given.any() and bool(((x.abs() <= _DEGREES_LIMIT) & (y.abs() <= 90))[given].all())  # noqa: PLR2004
    note = PositionNote(table.label, "xy", len(table.frame))
    if degrees and "epsg" not in columns and crs is None:
        note.method = "lat_lon"
        return "lat_lon", locate_degrees(y, x), note
    return "xy", locate_xy(columns["x"], columns["y"], crs=crs, epsg=columns.get("epsg")), note


def _from_geometry(table: SourceTable, crs: str | None) -> tuple[str, Located, PositionNote]:
    """Points of a geographic file (a polygon gives its inner point), in its CRS or ``crs``."""
    geometry = table.geometry
    assert geometry is not None  # noqa: S101 - checked by the caller
    note = PositionNote(table.label, "geometry", len(table.frame))
    present = geometry.notna() & ~geometry.is_empty
    not_points = present & (geometry.geom_type != "Point")
    note.not_points = int(not_points.sum())
    points = geometry.where(~not_points, geometry.representative_point())
    points = gpd.GeoSeries(points.where(present, None), index=geometry.index, crs=geometry.crs)
    x, y = points.x.where(present), points.y.where(present)
    declared = geometry.crs
    beyond = present & ((x.abs() > _DEGREES_LIMIT) | (y.abs() > 90))  # noqa: PLR2004
    if (declared is None or declared.is_geographic) and beyond.sum() > present.sum() / 2:
        note.projected_undeclared = True
        return "geometry", locate_xy(x, y, crs=crs), note
    if declared is None:
        note.crs = "EPSG:4326"
        return "geometry", locate_degrees(y, x), note
    wgs84 = points.to_crs("EPSG:4326")
    if not declared.is_geographic:
        note.crs = f"EPSG:{declared.to_epsg()}" if declared.to_epsg() else declared.name
    return "geometry", locate_degrees(wgs84.y.where(present), wgs84.x.where(present)), note


def _fill_positions(companies: pd.DataFrame, plan: ImportPlan, report: ImportReport) -> None:
    """Fill the companies without a position from the positions file, by SIRET."""
    table = plan.positions
    if table is None:
        return
    missing = companies["lat"].isna() & (companies["siret"] != "")
    found = companies.loc[missing, "siret"].map(lambda s: s in table.index)
    rows = found[found].index
    companies.loc[rows, "lat"] = companies.loc[rows, "siret"].map(table["lat"]).astype(float)
    companies.loc[rows, "lon"] = companies.loc[rows, "siret"].map(table["lon"]).astype(float)
    companies.loc[rows, "position_status"] = "sirene"
    report.positions_file = (plan.positions_name, len(rows), int(missing.sum() - len(rows)))


def _positions_table(
    path: Path, lang: str, problems: list[Problem], limits: Limits | None = None
) -> pd.DataFrame | None:
    """Read a positions file keyed by SIRET: ``siret`` and X/Y (with ``epsg``) or lat/lon."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raws, found = read_file_tables(path, lang=lang, limits=limits)
    problems += found
    if not raws:
        return None
    raw: RawTable = raws[0]
    text = as_text(raw.frame)
    fields = recognise_columns([str(c) for c in text.columns])
    columns = {field: text[h] for h, field in reversed(fields.items()) if field}
    if "siret" not in columns:
        problems.append(
            Problem(path.name, None, "siret", None, _t("positions_no_siret", lang), lang)
        )
        return None
    if "x" in columns and "y" in columns:
        located = locate_xy(columns["x"], columns["y"], epsg=columns.get("epsg"))
    elif "lat" in columns and "lon" in columns:
        located = locate_degrees(parse_degrees(columns["lat"]), parse_degrees(columns["lon"]))
    else:
        problems.append(Problem(path.name, None, None, None, _t("positions_no_xy", lang), lang))
        return None
    sirets = columns["siret"].map(lambda value: read_siret(value)[0])
    table = pd.DataFrame({"siret": sirets, "lat": located.lat, "lon": located.lon})
    table = table[(table["siret"] != "") & table["lat"].notna()]
    return table.drop_duplicates("siret").set_index("siret")


def _t(key: str, lang: str, **values: object) -> str:
    return t(f"importing.{key}", lang, **values)


# -- companies, flows and synergies


def _merge(rows: pd.DataFrame, report: ImportReport) -> Merged:
    if rows.empty:
        rows = pd.DataFrame(columns=rows.columns)
    merged = merge_companies(rows) if not rows.empty else _no_companies()
    report.conflicts = merged.conflicts
    report.renamed = merged.renamed
    spoiled = merged.companies[merged.companies.get("spoiled_siret", "") != ""]
    report.spoiled_sirets = [
        (str(r.files).split(" ; ")[0], str(r.name), str(r.spoiled_siret))
        for r in spoiled.itertuples()
    ]
    return merged


def _no_companies() -> Merged:
    columns = [
        "id",
        *_COMPANY_COLUMNS[1:],
        "lat",
        "lon",
        "position_status",
        "files",
        "spoiled_siret",
    ]
    return Merged(pd.DataFrame(columns=columns), {})


def _company_of(text: str, document: str, work: _Work) -> str:
    """Return the id of the company a flow or exchange names; a new one, to locate, if none."""
    found = work.merged.find(text, document, work.mapping.companies)
    if found is not None:
        if work.mapping.companies.get(text):
            work.notes.comments[("companies", text)] = found
        return found
    created = work.merged.add(text)
    work.pending("companies", text, _t("mapping_company_created", work.report.lang, id=created))
    work.report.companies_created.append((text, created))
    return created


def _direction(text: str, mapping: Mapping) -> str | None:
    chosen = mapping.directions.get(text)
    if chosen:
        return read_direction(chosen)
    return read_direction(text)


def _flows(rows: pd.DataFrame, work: _Work) -> pd.DataFrame:
    """Give each flow its company id and direction; list those without a direction."""
    if rows.empty:
        return rows.assign(company_id="")
    flows = rows.copy()
    flows["company_id"] = [
        work.merged.keys.get(str(row.company_key), "")
        if row.company_key
        else _company_of(str(row.company), str(row.document), work)
        if row.company
        else ""
        for row in flows.itertuples(index=False)
    ]
    work.report.unattached = int((flows["company_id"] == "").sum())
    directions = flows["direction"].map(lambda text: _direction(text, work.mapping))
    unknown = directions.isna()
    for word, count in Counter(flows.loc[unknown, "direction"]).items():
        work.report.unknown_directions.append((word, count))
        work.pending(
            "directions", word, _t("mapping_direction_pending", work.report.lang, count=count)
        )
    flows["direction"] = directions
    return flows[~unknown & (flows["company_id"] != "")].reset_index(drop=True)


def _synergies(rows: pd.DataFrame, work: _Work) -> pd.DataFrame:
    """Give each exchange the ids of its two companies (named by id, SIRET or name)."""
    if rows.empty:
        return rows
    synergies = rows.copy()
    for column in ("from_id", "to_id"):
        synergies[column] = [
            _company_of(text, document, work) if text else ""
            for text, document in zip(synergies[column], synergies["document"], strict=True)
        ]
    keep = (synergies["from_id"] != "") & (synergies["to_id"] != "")
    keep &= synergies["from_id"] != synergies["to_id"]
    return synergies[keep].reset_index(drop=True)


def _code_resources(tables: list[pd.DataFrame], work: _Work) -> None:
    """Code each flow's resource: a code given, the mapping's choice, or the resolver's."""
    texts: Counter[str] = Counter()
    for table in tables:
        if table.empty:
            table["code"] = pd.Series(dtype=object)
            continue
        table["code"] = table["resource"].map(normalise_code)
        free = table["code"].isna()
        work.report.coded_given += int((~free).sum())
        table["resolve_text"] = table["label"].where(table["label"] != "", table["resource"])
        texts.update(table.loc[free, "resolve_text"])
    texts.pop("", None)
    resolutions = resolve_resources([text for text in texts if text not in work.mapping.resources])
    codes = {
        text: _code_of(text, count, resolutions.get(text), work) for text, count in texts.items()
    }
    for table in tables:
        if table.empty:
            continue
        free = table["code"].isna()
        table.loc[free, "code"] = table.loc[free, "resolve_text"].map(codes)
        table["code"] = table["code"].fillna("")
        if "direction" in table:  # an offer of a whole EWC chapter cannot be exchanged
            chapter = table["code"].map(lambda code: bool(code) and is_ewc_chapter(code))
            table.loc[chapter & (table["direction"] == "output"), "code"] = ""


def _code_of(text: str, count: int, resolution: Resolution | None, work: _Work) -> str | None:
    """Return the code of a free text (the mapping's, else the resolver's if sure), or None."""
    lang, report = work.report.lang, work.report
    chosen = work.mapping.resources.get(text)
    if chosen:
        code = normalise_code(chosen)
        if code is not None:
            report.coded_by_mapping += count
            return code
        message = _t("mapping_bad_code", lang, text=text)
        report.problems.append(Problem("mapping", None, "resources", chosen, message, lang))
    sure = resolution is not None and resolution.code and resolution.confidence >= AUTO_CONFIDENCE
    if text not in work.mapping.resources and sure:
        assert resolution is not None  # noqa: S101 - for type checkers, checked by `sure`
        report.coded_auto.append((text, str(resolution.code), resolution.confidence, count))
        work.mapping.resources[text] = str(resolution.code)
        confidence = f"{resolution.confidence:.2f}"
        work.notes.comments[("resources", text)] = _t(
            "mapping_resource_auto", lang, method=resolution.method, confidence=confidence
        )
        return resolution.code
    suggestions = resolution.suggestions if resolution is not None else ()
    report.to_code.append((text, suggestions, count))
    shown = ", ".join(f"{code} ({score:.2f})" for code, score in suggestions[:3]) or "—"
    work.pending(
        "resources", text, _t("mapping_resource_pending", lang, count=count, suggestions=shown)
    )
    work.mapping.resources[text] = chosen or ""
    return None


def _quantity_key(quantity: str, unit: str) -> str:
    """Return how the mapping file names a quantity as written: ``quantity | unit``."""
    return f"{quantity} | {unit}" if unit else quantity


def _convert_quantities(table: pd.DataFrame, work: _Work) -> None:
    """Read each quantity as a yearly t, m³ or MWh, with its status and the note of how."""
    columns = ("value", "canonical_unit", "status", "written")
    if table.empty:
        for column in columns:
            table[column] = pd.Series(dtype=object)
        return
    seen: dict[tuple[object, ...], tuple[float | None, str, str, str, str]] = {}  # cells as read
    read = []
    for row in table.itertuples(index=False):  # each distinct writing read once
        key = (row.quantity, row.unit, row.code, row.quantity_status)
        if key not in seen:
            seen[key] = _quantity(row, work)
        read.append(seen[key])
    for position, column in enumerate(columns):
        table[column] = [item[position] for item in read]
    work.report.quantity_statuses.update(table["status"])
    notes = Counter(
        (item[3], item[4])
        for item, row in zip(read, table.itertuples(), strict=True)
        if row.quantity and item[4]
    )
    work.report.conversions += [(key, note, count) for (key, note), count in notes.items()]


def _quantity(row: object, work: _Work) -> tuple[float | None, str, str, str, str]:
    """Read one row's quantity: ``(value, unit, status, as written, note)``."""
    quantity, unit, code = row.quantity, row.unit, row.code or None  # type: ignore[attr-defined]
    key = _quantity_key(quantity, unit)
    replacement = work.mapping.quantities.get(key, "") if quantity else ""
    lang = work.report.lang
    if replacement:
        parsed = parse_quantity(replacement, None, resource=code, lang=lang)
    else:
        parsed = parse_quantity(quantity, unit or None, resource=code, lang=lang)
    status = parsed.status
    given = canonical_alias("quantity_status", row.quantity_status) if row.quantity_status else None  # type: ignore[attr-defined]
    if given == "estimate" and parsed.value is not None:
        status = "estimate"
    note = parsed.note or ""
    if quantity and status != "published" and not replacement:
        work.pending("quantities", key, note or status)
    return parsed.value, parsed.unit or "", status, key, note


# -- the zone


def _zone(
    companies: pd.DataFrame,
    flows: pd.DataFrame,
    synergies: pd.DataFrame,
    plan: ImportPlan,
    report: ImportReport,
) -> Zone | None:
    """Assemble the tables of the contract and validate them into a Zone."""
    company_table = _company_table(companies, report)
    flow_table = pd.DataFrame(
        {
            "company_id": flows.get("company_id", pd.Series(dtype=object)),
            "direction": flows.get("direction", pd.Series(dtype=object)),
            "resource": flows.get("code", pd.Series(dtype=object)),
            "quantity": [_number_text(v) for v in flows.get("value", [])],
            "unit": flows.get("canonical_unit", pd.Series(dtype=object)),
            "label": flows.get("label", pd.Series(dtype=object)),
            "quantity_status": flows.get("status", pd.Series(dtype=object)),
            "quantity_written": flows.get("written", pd.Series(dtype=object)),
            "source_file": flows.get("file", pd.Series(dtype=object)),
        }
    )
    tables = {
        "companies": RawTable("companies", "companies", company_table),
        "flows": RawTable("flows", "flows", flow_table),
    }
    if not synergies.empty:
        tables["synergies"] = RawTable("synergies", "synergies", _synergy_table(synergies))
    perimeters = [d.zone.perimeter for d in plan.zones if d.zone and d.zone.perimeter is not None]
    if perimeters:  # the zones' perimeters, kept (already in WGS84)
        joined = gpd.GeoDataFrame(pd.concat(perimeters, ignore_index=True), crs="EPSG:4326")
        tables["perimeter"] = RawTable("perimeter", "perimeter", joined[["geometry"]])
    report.counts = {
        "companies": len(company_table),
        "flows": len(flow_table),
        "synergies": len(synergies),
    }
    if company_table.empty or flow_table.empty:
        return None
    try:
        return build_zone(tables, name="import", lang=plan.lang)
    except ZoneError as error:
        report.problems += error.problems
        return None


def _company_table(companies: pd.DataFrame, report: ImportReport) -> pd.DataFrame:
    table = companies.copy()
    placed = table["lat"].notna() & table["lon"].notna()
    table["position_status"] = table["position_status"].where(placed, UNLOCATED)
    report.unlocated = list(table.loc[~placed, "name"])
    employees = parse_numbers(table["employees"].astype(str))
    bad = (table["employees"] != "") & (employees.isna() | (employees < 0) | (employees % 1 != 0))
    report.bad_employees = list(
        zip(table.loc[bad, "name"], table.loc[bad, "employees"], strict=True)
    )
    out = pd.DataFrame(
        {
            "id": table["id"],
            "name": table["name"].where(table["name"] != "", table["id"]),
            "lat": [_number_text(v) for v in table["lat"]],
            "lon": [_number_text(v) for v in table["lon"]],
            "sector": table["sector"],
            "employees": table["employees"].where(~bad, ""),
            "position_status": table["position_status"],
        }
    )
    for column in ("siret", "activity", "address", "postcode", "commune"):
        if (table[column] != "").any():
            out[OUTPUT_NAMES.get(column, column)] = table[column]
    out["source_file"] = table["files"]
    return out


def _synergy_table(synergies: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "from_id": synergies["from_id"],
            "to_id": synergies["to_id"],
            "resource": synergies["code"],
            "quantity": [_number_text(v) for v in synergies["value"]],
            "unit": synergies["canonical_unit"],
            "since": synergies["since"],
            "label": synergies["label"],
            "quantity_status": synergies["status"],
            "quantity_written": synergies["written"],
            "source_file": synergies["file"],
        }
    )


def _number_text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- step 3


def write_import(
    result: ImportResult,
    out: Path,
    *,
    mapping_path: Path | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> tuple[Path | None, Path]:
    """Write the zone's GeoPackage (when there is one) and the mapping file beside it.

    Returns
    -------
    tuple
        The GeoPackage written (None without a zone) and the mapping file.
    """
    target = mapping_path or default_mapping_path(out)
    written = None
    if result.zone is not None:
        result.zone.name = out.stem
        written = export_zone(result.zone, out)
    write_mapping(result.mapping, target, result.notes, lang=lang)
    return written, target


def run_import(
    sources: Sequence[str | Path],
    out: Path,
    *,
    mapping: Path | None = None,
    positions: Path | None = None,
    crs: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
) -> tuple[int, str]:
    """Run a whole import as ``eit-geo import`` does; never raises.

    The mapping file written beside ``out`` by an earlier import is reused when ``mapping`` is
    not given (its entries apply only to tables of the same header signature and to the same
    texts).

    Returns
    -------
    tuple
        The exit code (0: a zone was written; 2: nothing usable, or input that could not be
        read; 1: the output could not be written) and the report.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # drivers' notes: the report says what matters
        try:
            return _run_import(
                sources, out, mapping_path=mapping, positions=positions, crs=crs, lang=lang
            )
        except MappingError as error:
            return EXIT_NOTHING, str(error)
        except OSError as error:
            return EXIT_WRITE_FAILED, _t("failed", lang, reason=error.strerror or error)
        except Exception as error:
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            return EXIT_NOTHING, _t("failed", lang, reason=reason)


EXIT_NOTHING = 2
EXIT_WRITE_FAILED = 1


def _run_import(
    sources: Sequence[str | Path],
    out: Path,
    *,
    mapping_path: Path | None,
    positions: Path | None,
    crs: str | None,
    lang: str,
) -> tuple[int, str]:
    lines = []
    epsg = None
    if crs is not None:
        epsg = parse_crs(crs)
        if epsg is None:
            return EXIT_NOTHING, _t("bad_crs", lang, value=crs)
    default = default_mapping_path(out)
    if mapping_path is None and default.is_file():
        mapping_path = default
    decisions = read_mapping(mapping_path, lang=lang) if mapping_path is not None else None
    if mapping_path is not None:
        lines.append(_t("mapping_reused", lang, path=mapping_path))
    plan = plan_import(sources, mapping=decisions, crs=epsg, positions=positions, lang=lang)
    result = build_import(plan)
    written, target = write_import(result, out, mapping_path=default, lang=lang)
    lines.append(report_text(result.report, out=written, mapping_path=target))
    if written is None:
        no_flows = result.report.counts.get("companies") and not result.report.problems
        lines.append(_t("no_flows" if no_flows else "nothing_usable", lang))
        return EXIT_NOTHING, "\n".join(lines)
    return 0, "\n".join(lines)
