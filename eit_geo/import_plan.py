"""What an import plans, builds and reports: the records its steps pass to one another.

`ImportPlan` (step 1: the tables found and how each will be read, `TablePlan`), `ImportReport`
(what was recognised, converted and left to decide, with `PositionNote` for positions),
`ImportResult` (step 2's zone, report and mapping) and `ImportWork`, what step 2 shares.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eit_geo.i18n import DEFAULT_LANGUAGE, t

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.errors import Problem
    from eit_geo.import_mapping import Mapping, Notes
    from eit_geo.import_merge import Conflict, Merged
    from eit_geo.import_sources import Document, SourceTable
    from eit_geo.zone import Zone

__all__ = [
    "ImportPlan",
    "ImportReport",
    "ImportResult",
    "ImportWork",
    "PositionNote",
    "TablePlan",
    "tr",
]


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
class ImportWork:
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


def tr(key: str, lang: str, **values: object) -> str:
    """Return the text ``importing.<key>`` in ``lang``."""
    return t(f"importing.{key}", lang, **values)
