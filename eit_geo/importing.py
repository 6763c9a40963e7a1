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

import tempfile
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from eit_geo.export import export_zone
from eit_geo.i18n import DEFAULT_LANGUAGE
from eit_geo.import_columns import header_signature, recognise_table
from eit_geo.import_flows import (
    attach_flows,
    attach_synergies,
    code_resources,
    convert_quantities,
    merge_rows,
)
from eit_geo.import_mapping import (
    Mapping,
    MappingError,
    Notes,
    TableChoice,
    default_mapping_path,
    read_mapping,
    write_mapping,
)
from eit_geo.import_plan import (
    ImportPlan,
    ImportReport,
    ImportResult,
    ImportWork,
    PositionNote,
    TablePlan,
    tr,
)
from eit_geo.import_positions import fill_positions, locate, positions_table
from eit_geo.import_report import report_text
from eit_geo.import_shapes import Extracted, classify_table, extract_table, extract_zone
from eit_geo.import_sources import SourceTable, read_sources
from eit_geo.import_zone import zone_of
from eit_geo.positions import parse_crs

if TYPE_CHECKING:
    from eit_geo.bounded import Limits

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
        plan.positions = positions_table(positions, lang, plan.problems, limits)
        plan.positions_name = positions.name
    refresh_shapes(plan)
    return plan


def _table_plan(table: SourceTable, mapping: Mapping) -> TablePlan:
    signature = header_signature(table.headers)
    columns = recognise_table(table.frame)
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
        located = locate(table_plan, plan, report)
        parts.append(extract_table(table_plan.table, table_plan.columns, table_plan.shape, located))
    rows = Extracted.concat(parts)
    if rows.companies.empty and rows.flows.empty:
        return ImportResult(None, report, mapping, notes)
    work = ImportWork(merge_rows(rows.companies, report), mapping, notes, report)
    flows = attach_flows(rows.flows, work)
    synergies = attach_synergies(rows.synergies, work)
    code_resources([flows, synergies], work)
    for table in (flows, synergies):
        convert_quantities(table, work)
    fill_positions(work.merged.companies, plan, report)
    built = zone_of(work.merged.companies, flows, synergies, plan, report)
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
            return EXIT_WRITE_FAILED, tr("failed", lang, reason=error.strerror or error)
        except Exception as error:
            reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
            return EXIT_NOTHING, tr("failed", lang, reason=reason)


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
            return EXIT_NOTHING, tr("bad_crs", lang, value=crs)
    default = default_mapping_path(out)
    if mapping_path is None and default.is_file():
        mapping_path = default
    decisions = read_mapping(mapping_path, lang=lang) if mapping_path is not None else None
    if mapping_path is not None:
        lines.append(tr("mapping_reused", lang, path=mapping_path))
    plan = plan_import(sources, mapping=decisions, crs=epsg, positions=positions, lang=lang)
    result = build_import(plan)
    written, target = write_import(result, out, mapping_path=default, lang=lang)
    lines.append(report_text(result.report, out=written, mapping_path=target))
    if written is None:
        no_flows = result.report.counts.get("companies") and not result.report.problems
        lines.append(tr("no_flows" if no_flows else "nothing_usable", lang))
        return EXIT_NOTHING, "\n".join(lines)
    return 0, "\n".join(lines)
