"""Workshop decisions: one SQL store (SQLite file by default, PostgreSQL by URL) shared by everyone.

Every function takes the SQLAlchemy engine as its first argument, like
``geopandas.read_postgis(sql, con)``; ``open_store`` makes it. Each change is one transaction
that locks the decision's row, updates it and appends its history row, so that concurrent
participants never overwrite each other; a transaction the database gives up (deadlock, busy
file) is tried again after a random, growing pause.

Each zone has its own key (`zone_key`): an uploaded zone's never meets a zone opened from disk
or a shipped example, and by default each lives in its own SQLite file. Decisions a GeoPackage
carries reach the store only through `import_decisions`, after `preview_imported_decisions`
has checked them, and stay marked with their origin.

The package, one module per job: `schema` (fields, limits, tables, errors), `engine` (opening
the store, zone keys, the write transaction tried again, the helpers `eit_geo.plan_store`
builds on), `decisions` (decisions and votes) and `layers` (decisions carried by a
GeoPackage: written, read, checked, imported).
"""

from __future__ import annotations

from eit_geo.settings import DATABASE_ENV
from eit_geo.store.decisions import (
    get_decisions,
    get_votes,
    history,
    record_decision,
    vote,
)
from eit_geo.store.engine import (
    cell_text,
    checked_participant,
    default_database_url,
    insert,
    open_store,
    read_frame,
    retrying,
    utc,
    writing,
    zone_key,
)
from eit_geo.store.layers import (
    ImportPreview,
    decision_layers,
    import_decisions,
    imports,
    preview_imported_decisions,
    read_decision_layers,
    restore_decisions,
)
from eit_geo.store.schema import (
    CHECK_STATES,
    CHECKS,
    FIELDS,
    LAYERS,
    MAX_PARTICIPANT,
    MAX_TEXT,
    STATUSES,
    ConflictError,
    Decision,
    StoreBusyError,
)

__all__ = [
    "CHECKS",
    "CHECK_STATES",
    "DATABASE_ENV",
    "FIELDS",
    "LAYERS",
    "MAX_PARTICIPANT",
    "MAX_TEXT",
    "STATUSES",
    "ConflictError",
    "Decision",
    "ImportPreview",
    "StoreBusyError",
    "cell_text",
    "checked_participant",
    "decision_layers",
    "default_database_url",
    "get_decisions",
    "get_votes",
    "history",
    "import_decisions",
    "imports",
    "insert",
    "open_store",
    "preview_imported_decisions",
    "read_decision_layers",
    "read_frame",
    "record_decision",
    "restore_decisions",
    "retrying",
    "utc",
    "vote",
    "writing",
    "zone_key",
]
