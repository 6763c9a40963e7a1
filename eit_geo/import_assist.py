"""Run `eit-geo import` on uploaded files for the Données page's import assistant.

The page drives the very steps of the command line (`importing.plan_uploads`, then
`importing.build_import`) with the decisions of a `Mapping` (column choices and shapes by
header signature, the CRS of ``--crs``, codes by text as written) and a positions table (as
``--positions``), in a worker process within the upload limits (`upload.UPLOAD_LIMITS`,
`UPLOAD_MEMORY`, `UPLOAD_SECONDS`). What comes back is what the page shows: the tables
recognised, the import's report and zone, and the mapping file's text. `Assisted.files_kind` says
in one word what the files dropped are; `crs_choices` lists the coordinate systems offered.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache

from pyproj import CRS

from eit_geo.bounded import LimitError, Limits, Size
from eit_geo.datafiles import read_table
from eit_geo.errors import Problem
from eit_geo.i18n import DEFAULT_LANGUAGE
from eit_geo.import_mapping import Mapping, TableChoice, mapping_text
from eit_geo.importing import ImportResult, build_import, plan_uploads
from eit_geo.sandbox import SandboxError, run_bounded
from eit_geo.upload import UPLOAD_LIMITS, UPLOAD_MEMORY, UPLOAD_SECONDS

__all__ = [
    "Assisted",
    "CrsChoice",
    "TableView",
    "assist_import",
    "crs_choices",
    "undeclared_crs",
    "with_decisions",
]

CONTRACT_SHAPES = frozenset({"companies", "flows", "synergies"})
"""Shapes of the contract's own tables: files holding only these are a zone to load as it is."""


@dataclass(frozen=True)
class TableView:
    """One table as the import recognised it: where it is, its shape and its columns' fields."""

    label: str
    signature: str
    shape: str
    rows: int
    columns: dict[str, str]
    document: str = ""
    header_row: int = 1
    totals: tuple[int, ...] = ()


@dataclass
class Assisted:
    """What an assisted import gave.

    Attributes
    ----------
    tables : the tables read, with the fields recognised or chosen
    zones : the files that already are zones of the contract
    result : the import (zone None when nothing usable), None when the files could not be read
    problems : the problems of reading (limits, worker refused)
    mapping : the text of the mapping file of these decisions, to download and reuse
    """

    tables: list[TableView] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    result: ImportResult | None = None
    problems: list[Problem] = field(default_factory=list)
    mapping: str = ""

    @property
    def zone_ready(self) -> bool:
        """Whether the import gave a zone that may replace the one in use."""
        return self.result is not None and self.result.zone is not None

    def campaign(self) -> list[str]:
        """Return the files that each hold a zone: a zone, or a workbook of companies and flows.

        Separate files of the contract (``entreprises.csv``, ``flux.csv``) are one zone, not a
        campaign, even when one of them was dropped again after a fix.
        """
        shapes: dict[str, set[str]] = {}
        for view in self.tables:
            shapes.setdefault(view.document, set()).add(view.shape)
        holding = [doc for doc, found in shapes.items() if {"companies", "flows"} <= found]
        return list(dict.fromkeys([*self.zones, *holding]))

    def files_kind(self) -> str:
        """Say what the files dropped are, from what the import recognised.

        Returns
        -------
        str
            ``zone`` (one zone of the contract, or only the contract's tables: loaded as it
            is), ``campaign`` (several filled copies of a template, merged), ``inventory``
            (tables to import: a flat table, lists…) or ``unknown`` (nothing recognised).
        """
        shapes = {view.shape for view in self.tables} - {"ignore"}
        if len(self.campaign()) > 1:
            return "campaign"
        if (self.zones and not shapes) or (not self.zones and shapes and shapes <= CONTRACT_SHAPES):
            return "zone"
        return "inventory" if shapes else "unknown"


@dataclass(frozen=True)
class CrsChoice:
    """A coordinate system offered for X/Y without a declared CRS: ``EPSG:2154`` and its name."""

    crs: str
    area: str
    name: str


@cache
def crs_choices() -> tuple[CrsChoice, ...]:
    """Return the coordinate systems offered (``data/import/crs_choices.csv``), named by pyproj."""
    table = read_table("import/crs_choices.csv")
    return tuple(
        CrsChoice(f"EPSG:{epsg}", str(area), CRS.from_epsg(int(epsg)).name)
        for epsg, area in zip(table["epsg"], table["area"], strict=True)
    )


def undeclared_crs(assisted: Assisted) -> list[tuple[str, str | None]]:
    """Return the tables whose positions are in metres with no CRS declared: ``(table, CRS)``.

    The CRS is the one recognised from the values (None when none fits): the user should check
    it, or give one.
    """
    report = assisted.result.report if assisted.result is not None else None
    notes = report.positions if report is not None else []
    return [
        (note.table, note.crs)
        for note in notes
        if note.crs_guessed
        or note.projected_undeclared
        or (note.method == "xy" and note.crs is None and note.unreadable)
    ]


def with_decisions(
    base: Mapping,
    columns: dict[str, dict[str, str]],
    codes: dict[str, str],
    *,
    shapes: dict[str, str] | None = None,
    crs: str | None = None,
) -> Mapping:
    """Return ``base`` with the page's decisions.

    Parameters
    ----------
    base
        The mapping dropped (or an empty one).
    columns
        Fields chosen, by table signature: ``{signature: {header: field}}``.
    codes
        Codes chosen, by text as written. A code left empty is not written, so that the import
        suggests codes for the text again.
    shapes
        Shapes chosen, by table signature (``""``: recognised by the import).
    crs
        CRS of the X/Y that declare none (``--crs``); None keeps the one of ``base``.
    """
    tables = dict(base.tables)
    for signature in {*columns, *(shapes or {})}:
        choice = tables.get(signature, TableChoice())
        shape = (shapes or {}).get(signature, choice.shape)
        fields = {**choice.columns, **columns.get(signature, {})}
        tables[signature] = TableChoice(list(choice.files), shape, fields, choice.crs)
    resources = {text: code for text, code in base.resources.items() if code}
    resources.update({text: code for text, code in codes.items() if code})
    return Mapping(
        tables, crs or base.crs, resources, dict(base.quantities), dict(base.directions),
        dict(base.companies),
    )  # fmt: skip


def assist_import(
    files: Iterable[tuple[str, bytes]],
    mapping: Mapping,
    *,
    positions: tuple[str, bytes] | None = None,
    lang: str = DEFAULT_LANGUAGE,
    limits: Limits = UPLOAD_LIMITS,
    memory: int = UPLOAD_MEMORY,
    seconds: float = UPLOAD_SECONDS,
) -> Assisted:
    """Import uploaded files with a mapping's decisions, in a worker process; never raises.

    Parameters
    ----------
    files
        ``(file name, bytes)`` as uploaded.
    mapping
        The decisions (an uploaded mapping file, completed on the page).
    positions
        A table of positions keyed by SIRET, ``(file name, bytes)``, as ``--positions``.
    lang
        Language of the report and the problems.
    limits, memory, seconds
        What the upload may weigh and hold, and what the worker may take, as for a zone upload.
    """
    given = tuple((str(name), bytes(data)) for name, data in files)
    label = given[0][0] if given else ""
    total = sum(len(data) for _, data in given) + (len(positions[1]) if positions else 0)
    if total > limits.max_bytes:
        error = LimitError("validation.too_large", size=Size(total), limit=Size(limits.max_bytes))
        message = error.message(lang)
        return Assisted(problems=[Problem(label, None, None, None, message, lang)])
    try:
        outcome = run_bounded(
            _assist, given, mapping, positions, lang, limits, memory=memory, seconds=seconds
        )
    except SandboxError as error:
        return Assisted(problems=[Problem(label, None, None, None, error.message(lang), lang)])
    return outcome.value


def _assist(
    files: tuple[tuple[str, bytes], ...],
    mapping: Mapping,
    positions: tuple[str, bytes] | None,
    lang: str,
    limits: Limits,
) -> Assisted:
    """Plan and build the import (in the worker), within the upload's limits.

    The row limit is checked while the files are read (`plan_uploads`); a table refused is
    said and nothing is built.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # drivers' notes: the report says what matters
        plan = plan_uploads(files, mapping=mapping, positions=positions, lang=lang, limits=limits)
        tables = [
            TableView(
                p.table.label,
                p.signature,
                p.shape,
                len(p.table.frame),
                dict(p.columns),
                p.table.document,
                p.table.header_row,
                p.table.totals,
            )
            for p in plan.tables
        ]
        zones = [document.label for document in plan.zones]
        over = {
            LimitError(key, limit=limit).message(lang)
            for key, limit in (
                ("limits.too_many_rows", limits.max_rows),
                ("limits.too_many_columns", limits.max_columns),
            )
        }
        refused = [problem for problem in plan.problems if problem.message in over]
        if refused:
            return Assisted(tables, zones, problems=refused)
        result = build_import(plan)
    result.report.tables = []  # their frames stay in the worker: the views say what is shown
    text = mapping_text(result.mapping, result.notes, lang=lang)
    return Assisted(tables, zones, result, mapping=text)
