"""Run `eit-geo import` on uploaded files for the Données page's import assistant.

The page drives the very steps of the command line (`importing.plan_uploads`, then
`importing.build_import`) with the decisions of a `Mapping` (column choices by header
signature, codes by text as written), in a worker process within the upload limits
(`upload.UPLOAD_LIMITS`, `UPLOAD_MEMORY`, `UPLOAD_SECONDS`). What comes back is what the page
shows: the tables recognised, the import's report and zone, and the mapping file's text.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field

from eit_geo.bounded import LimitError, Limits, Size
from eit_geo.errors import Problem
from eit_geo.i18n import DEFAULT_LANGUAGE
from eit_geo.import_mapping import Mapping, TableChoice, mapping_text
from eit_geo.importing import ImportResult, build_import, plan_uploads
from eit_geo.sandbox import SandboxError, run_bounded
from eit_geo.upload import UPLOAD_LIMITS, UPLOAD_MEMORY, UPLOAD_SECONDS

__all__ = ["Assisted", "TableView", "assist_import", "with_decisions"]


@dataclass(frozen=True)
class TableView:
    """One table as the import recognised it: where it is, its shape and its columns' fields."""

    label: str
    signature: str
    shape: str
    rows: int
    columns: dict[str, str]


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


def with_decisions(
    base: Mapping,
    columns: dict[str, dict[str, str]],
    codes: dict[str, str],
) -> Mapping:
    """Return ``base`` with the page's decisions: fields by table signature, codes by text.

    A code left empty is not written, so that the import suggests codes for the text again.
    """
    tables = dict(base.tables)
    for signature, fields in columns.items():
        choice = tables.get(signature, TableChoice())
        tables[signature] = TableChoice(
            list(choice.files), choice.shape, {**choice.columns, **fields}, choice.crs
        )
    resources = {text: code for text, code in base.resources.items() if code}
    resources.update({text: code for text, code in codes.items() if code})
    return Mapping(
        tables, base.crs, resources, dict(base.quantities), dict(base.directions),
        dict(base.companies),
    )  # fmt: skip


def assist_import(
    files: Iterable[tuple[str, bytes]],
    mapping: Mapping,
    *,
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
    lang
        Language of the report and the problems.
    limits, memory, seconds
        What the upload may weigh and hold, and what the worker may take, as for a zone upload.
    """
    given = tuple((str(name), bytes(data)) for name, data in files)
    label = given[0][0] if given else ""
    total = sum(len(data) for _, data in given)
    if total > limits.max_bytes:
        error = LimitError("validation.too_large", size=Size(total), limit=Size(limits.max_bytes))
        message = error.message(lang)
        return Assisted(problems=[Problem(label, None, None, None, message, lang)])
    try:
        outcome = run_bounded(_assist, given, mapping, lang, limits, memory=memory, seconds=seconds)
    except SandboxError as error:
        return Assisted(problems=[Problem(label, None, None, None, error.message(lang), lang)])
    return outcome.value


def _assist(
    files: tuple[tuple[str, bytes], ...], mapping: Mapping, lang: str, limits: Limits
) -> Assisted:
    """Plan and build the import (in the worker), within the upload's row limit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # drivers' notes: the report says what matters
        plan = plan_uploads(files, mapping=mapping, lang=lang)
        tables = [
            TableView(p.table.label, p.signature, p.shape, len(p.table.frame), dict(p.columns))
            for p in plan.tables
        ]
        zones = [document.label for document in plan.zones]
        too_long = [view for view in tables if view.rows > limits.max_rows]
        if too_long:
            error = LimitError("limits.too_many_rows", limit=limits.max_rows)
            problem = Problem(too_long[0].label, None, None, None, error.message(lang), lang)
            return Assisted(tables, zones, problems=[problem])
        result = build_import(plan)
    result.report.tables = []  # their frames stay in the worker: the views say what is shown
    text = mapping_text(result.mapping, result.notes, lang=lang)
    return Assisted(tables, zones, result, mapping=text)
