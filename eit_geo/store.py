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
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sqlite3
import time
import warnings
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
import pyogrio
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from eit_geo.bounded import Limits, check_geopackage
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.settings import DATABASE_ENV, database_url_setting, user_data_folder

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, RowMapping

    from eit_geo.zone import Zone

__all__ = [
    "CHECKS",
    "CHECK_STATES",
    "DATABASE_ENV",
    "FIELDS",
    "LAYERS",
    "STATUSES",
    "ConflictError",
    "Decision",
    "ImportPreview",
    "StoreBusyError",
    "decision_layers",
    "default_database_url",
    "get_decisions",
    "get_votes",
    "history",
    "import_decisions",
    "imports",
    "open_store",
    "preview_imported_decisions",
    "read_decision_layers",
    "record_decision",
    "restore_decisions",
    "vote",
    "zone_key",
]

STATUSES: tuple[str, ...] = ("to_study", "retained", "rejected", "in_place")
CHECKS: tuple[str, ...] = ("technical", "regulatory", "economic")
CHECK_STATES: tuple[str, ...] = ("pending", "ok", "watch", "blocking")
FIELDS: tuple[str, ...] = (
    "status",
    *(name for check in CHECKS for name in (check, f"{check}_note")),
    "comment",
)
DEFAULTS: dict[str, str] = {
    "status": "to_study",
    **dict.fromkeys(CHECKS, "pending"),
    **{f"{check}_note": "" for check in CHECKS},
    "comment": "",
}
LAYERS: tuple[str, ...] = ("decisions", "decision_history", "votes")
MAX_PARTICIPANT = 80
MAX_TEXT = 4000
MAX_VOTE = 3  # the three priority levels of the board
MAX_IMPORTED = {"decisions": 10_000, "decision_history": 100_000, "votes": 100_000}
UPLOAD_PREFIX = "upload:"  # keys of uploaded zones; a zone read from disk never has a colon
_BUSY_SECONDS = 30  # how long a SQLite connection waits for another one to let go
_RETRIES = 12  # transactions the database gave up, tried again after a growing random pause
_PAUSE = 0.02  # seconds before the first new try; doubled each time, up to _PAUSE_MAX
_PAUSE_MAX = 1.0
_TRANSIENT = {"40001", "40P01", "55P03"}  # PostgreSQL: serialization, deadlock, lock not free
_CLOCK_SLACK = timedelta(minutes=5)  # a date later than now by more is refused on import
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_WRITE = "eit_geo_write"
_LOCK_ID = 7_202_407  # PostgreSQL advisory lock held while creating the tables
_Result = TypeVar("_Result")

metadata = MetaData()


def _key_columns() -> list[Column[Any]]:
    return [
        Column("zone_key", String(200), primary_key=True),
        Column("candidate_id", String(200), primary_key=True),
    ]


def _field_columns() -> list[Column[Any]]:
    return [
        Column(
            name, String(20) if not name.endswith(("_note", "comment")) else Text, nullable=False
        )
        for name in FIELDS
    ]


decisions = Table(
    "decisions",
    metadata,
    *_key_columns(),
    *_field_columns(),
    Column("participant", String(MAX_PARTICIPANT), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("version", Integer, nullable=False),
    Column("import_id", Integer, nullable=True),
)
decision_history = Table(
    "decision_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_key", String(200), nullable=False, index=True),
    Column("candidate_id", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    *_field_columns(),
    Column("changed", String(200), nullable=False),
    Column("participant", String(MAX_PARTICIPANT), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("import_id", Integer, nullable=True),
    UniqueConstraint("zone_key", "candidate_id", "version", name="uq_history_version"),
)
votes = Table(
    "votes",
    metadata,
    *_key_columns(),
    Column("participant", String(MAX_PARTICIPANT), primary_key=True),
    Column("weight", Integer, nullable=False),
    Column("voted_at", DateTime(timezone=True), nullable=False),
    Column("import_id", Integer, nullable=True),
)
decision_imports = Table(
    "decision_imports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_key", String(200), nullable=False, index=True),
    Column("origin", String(200), nullable=False),
    Column("imported_by", String(MAX_PARTICIPANT), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("decisions", Integer, nullable=False),
    Column("votes", Integer, nullable=False),
)
_MARKED = (decisions, decision_history, votes)  # tables whose rows carry import_id


@dataclass(frozen=True)
class Decision:
    """The current decision on one candidate synergy.

    Attributes
    ----------
    candidate_id : the candidate's stable id (``matching.find_substitutions``)
    status : one of ``STATUSES``
    technical, regulatory, economic : state of each check, one of ``CHECK_STATES``
    technical_note, regulatory_note, economic_note : comment on each check
    comment : general comment
    participant : who made the last change
    updated_at : when (UTC)
    version : number of changes so far (1 after the first)
    """

    candidate_id: str
    status: str
    technical: str
    technical_note: str
    regulatory: str
    regulatory_note: str
    economic: str
    economic_note: str
    comment: str
    participant: str
    updated_at: datetime
    version: int


class ConflictError(ValueError):
    """A change based on an outdated version: someone else changed the candidate meanwhile."""

    def __init__(self, current: Decision | None, expected: int) -> None:
        self.current = current
        found = current.version if current is not None else 0
        who = f" by {current.participant}" if current is not None else ""
        super().__init__(
            f"candidate changed meanwhile{who}: expected version {expected}, found {found}"
        )


class StoreBusyError(RuntimeError):
    """The database refused a change again and again (too many participants at once)."""


_upload_keys: dict[int, tuple[weakref.ref[Zone], str]] = {}


def zone_key(zone: Zone) -> str:
    """Return the key under which a zone's decisions are stored.

    A zone read from disk: its name plus a digest of its company ids, so that the key survives
    corrections of quantities or positions (which change ``Zone.fingerprint``) but tells apart
    two zones of the same name. An uploaded zone (``source == "upload"``): ``upload:``, its name
    and a digest of its whole content, so that an upload never shares the decisions of a zone
    opened from disk, of a shipped example, or of another upload that differs in anything.
    """
    slug = re.sub(r"[^0-9a-z]+", "-", zone.name.lower()).strip("-")[:60] or "zone"
    if zone.source == "upload":
        return f"{UPLOAD_PREFIX}{slug}-{_content_digest(zone)}"
    ids = "\n".join(sorted(map(str, zone.companies["id"])))
    digest = hashlib.sha256(ids.encode()).hexdigest()[:10]
    return f"{slug}-{digest}"


def _content_digest(zone: Zone) -> str:
    """Return ``zone.fingerprint()`` shortened, computed once per zone object."""
    known = _upload_keys.get(id(zone))
    if known is not None and known[0]() is zone:
        return known[1]
    digest = zone.fingerprint()[:16]
    for ident, (ref, _) in list(_upload_keys.items()):
        if ref() is None:
            del _upload_keys[ident]
    _upload_keys[id(zone)] = (weakref.ref(zone), digest)
    return digest


def default_database_url(
    zone_source: str | Path | None, *, shipped: Path | None = None, key: str | None = None
) -> str:
    """Return where decisions are kept when no URL is given.

    ``EIT_GEO_DATABASE_URL`` when set (e.g. ``postgresql://user@host/eit``); else a SQLite file
    ``.eit-geo/decisions.sqlite`` inside the zone's folder (beside a zone file) when it is
    writable and not under ``shipped`` (the examples, kept clean); else a file of the user data
    folder (``$XDG_DATA_HOME/eit-geo``, by default under ``~/.local/share``): one per zone,
    ``zones/<key>.sqlite``, when its ``key`` (`zone_key`) is given, so that uploads and
    examples never share a file.
    """
    url = database_url_setting()
    if url:
        return url
    folder = _zone_folder(zone_source, shipped)
    if folder is None:
        base = user_data_folder() / "eit-geo"
        if key:
            name = re.sub(r"[^0-9A-Za-z._-]+", "_", key)[:120]
            return f"sqlite:///{base / 'zones' / f'{name}.sqlite'}"
        return f"sqlite:///{base / 'decisions.sqlite'}"
    return f"sqlite:///{folder / '.eit-geo' / 'decisions.sqlite'}"


def _zone_folder(source: str | Path | None, shipped: Path | None) -> Path | None:
    if not source or str(source) == "upload":
        return None
    path = Path(source).resolve()
    folder = path if path.is_dir() else path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        return None
    if shipped is not None and folder.is_relative_to(shipped.resolve()):
        return None
    return folder


def open_store(url: str) -> Engine:
    """Open (and create if needed) the decision store at a SQLAlchemy URL.

    Parameters
    ----------
    url
        ``sqlite:///path/file.sqlite`` (the folder is created), or a PostgreSQL URL;
        ``postgresql://`` and ``postgres://`` use the psycopg 3 driver.

    Returns
    -------
    Engine
        Engine for the other functions of this module; SQLite connections run in WAL mode with a
        30 s busy timeout, and writes take the lock up front (``BEGIN IMMEDIATE``).
    """
    url = re.sub(r"^postgres(ql)?://", "postgresql+psycopg://", url)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    with _writing(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        metadata.create_all(conn)
        _add_import_columns(conn)
    return engine


def _add_import_columns(conn: Connection) -> None:
    """Give the tables of a store made before imports were marked their ``import_id`` column."""
    found = inspect(conn)
    for table in _MARKED:
        if "import_id" not in {column["name"] for column in found.get_columns(table.name)}:
            conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN import_id INTEGER"))


def _sqlite_connect(dbapi_connection: Any, record: object) -> None:  # noqa: ANN401 - DBAPI object
    del record
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (_sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {_BUSY_SECONDS * 1000}")
    _write_ahead_log(cursor)
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _write_ahead_log(cursor: Any) -> None:  # noqa: ANN401 - DBAPI cursor
    """Put the database in WAL mode (kept in the file, so done once), waiting for other openers.

    SQLite does not wait its busy timeout for this switch: several processes opening a new store
    at the same moment would get « database is locked ». They try again for as long.
    """
    deadline = time.monotonic() + _BUSY_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get(_WRITE, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@contextmanager
def _writing(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a write transaction (SQLite: holding the write lock from the start)."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


def record_decision(
    engine: Engine,
    zone: str,
    candidate_id: str,
    changes: Mapping[str, str],
    *,
    participant: str,
    expected_version: int | None = None,
) -> Decision:
    """Change the decision on one candidate and append the change to its history.

    Parameters
    ----------
    engine
        The store (``open_store``).
    zone
        The zone's key (``zone_key``).
    candidate_id
        The candidate's stable id.
    changes
        Only the fields that change, among ``FIELDS``: ``status`` (one of ``STATUSES``), each
        check of ``CHECKS`` (one of ``CHECK_STATES``), ``<check>_note`` and ``comment`` (text).
        Fields left out keep the value another participant may have just set.
    participant
        Name of the person deciding.
    expected_version
        The version the participant saw; if given and no longer current, nothing is written.

    Returns
    -------
    Decision
        The decision after the change.

    Raises
    ------
    ValueError
        On an unknown field or value, or an empty participant name.
    ConflictError
        If ``expected_version`` is outdated.
    """
    values = _checked_changes(changes)
    who = _checked_participant(participant)
    return _retrying(
        lambda: _record_once(engine, zone, candidate_id, values, who, expected=expected_version)
    )


def _record_once(
    engine: Engine,
    zone: str,
    candidate_id: str,
    values: Mapping[str, str],
    who: str,
    *,
    expected: int | None,
) -> Decision:
    with _writing(engine) as conn:
        _ensure_row(conn, zone, candidate_id, who)
        current = _read_decision(conn, zone, candidate_id, lock=True)
        if expected is not None and current.version != expected:
            raise ConflictError(current if current.version else None, expected)
        merged = {name: values.get(name, getattr(current, name)) for name in FIELDS}
        now = datetime.now(UTC)
        row = {**merged, "participant": who, "updated_at": now}
        if not _compare_and_swap(conn, zone, candidate_id, current.version, row):
            raise _Contended  # the row is locked: only a foreign writer could get here
        version = current.version + 1
        conn.execute(
            decision_history.insert().values(
                zone_key=zone,
                candidate_id=candidate_id,
                version=version,
                changed=",".join(n for n in FIELDS if n in values),
                changed_at=now,
                participant=who,
                **merged,
            )
        )
        return Decision(candidate_id=candidate_id, version=version, **row)


class _Contended(Exception):  # noqa: N818 - internal signal, never leaves this module
    """A transaction to try again."""


def _retrying(action: Callable[[], _Result], *, again: tuple[type[Exception], ...] = ()) -> _Result:
    """Run a transaction, again after a growing random pause when the database gave it up.

    ``again`` names more exceptions that mean « try again » (a row that moved meanwhile).

    Raises
    ------
    StoreBusyError
        After `_RETRIES` tries.
    """
    retry_on: tuple[type[Exception], ...] = (_Contended, *again)
    for attempt in range(_RETRIES):
        try:
            return action()
        except retry_on:
            pass
        except DBAPIError as error:
            if not _transient(error):
                raise
        pause = min(_PAUSE_MAX, _PAUSE * 2**attempt)
        time.sleep(pause * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not a secret
    msg = "the decision store refused the change again and again; try again"
    raise StoreBusyError(msg)


def _transient(error: DBAPIError) -> bool:
    """Tell whether the database gave a transaction up for others (deadlock, busy file)."""
    if getattr(error.orig, "sqlstate", None) in _TRANSIENT:
        return True
    reason = str(error.orig).lower()
    return "database is locked" in reason or "database is busy" in reason


def _checked_changes(changes: Mapping[str, str]) -> dict[str, str]:
    problems: list[str] = []
    values: dict[str, str] = {}
    for name, value in changes.items():
        allowed = STATUSES if name == "status" else CHECK_STATES if name in CHECKS else None
        if name not in FIELDS:
            problems.append(f"unknown field {name!r}; expected one of {', '.join(FIELDS)}")
        elif allowed is not None and value not in allowed:
            problems.append(f"{name}={value!r}; expected one of {', '.join(allowed)}")
        elif allowed is None and len(str(value)) > MAX_TEXT:
            problems.append(f"{name} is longer than {MAX_TEXT} characters")
        else:
            values[name] = str(value)
    if problems:
        msg = "; ".join(problems)
        raise ValueError(msg)
    return values


def _checked_participant(participant: str) -> str:
    who = " ".join(str(participant).split())
    if not who:
        msg = "participant: a name is required to record a decision or a vote"
        raise ValueError(msg)
    return who[:MAX_PARTICIPANT]


def _insert(conn: Connection, table: Table) -> Any:  # noqa: ANN401 - dialect-specific Insert
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _ensure_row(conn: Connection, zone: str, candidate_id: str, who: str) -> None:
    """Insert the version-0 (default) decision unless it exists; never fails on a race."""
    row = {
        "zone_key": zone,
        "candidate_id": candidate_id,
        **DEFAULTS,
        "participant": who,
        "updated_at": datetime.now(UTC),
        "version": 0,
    }
    conn.execute(_insert(conn, decisions).values(**row).on_conflict_do_nothing())


def _read_decision(
    conn: Connection, zone: str, candidate_id: str, *, lock: bool = False
) -> Decision:
    """Read a decision; with ``lock``, hold its row until the transaction ends (PostgreSQL)."""
    query = select(decisions).where(
        decisions.c.zone_key == zone, decisions.c.candidate_id == candidate_id
    )
    if lock:
        query = query.with_for_update()  # SQLite: BEGIN IMMEDIATE already holds the file
    row = conn.execute(query).mappings().one()
    return _as_decision(row)


def _as_decision(row: RowMapping) -> Decision:
    values = {name: row[name] for name in Decision.__dataclass_fields__}
    values["updated_at"] = _utc(row["updated_at"])
    return Decision(**values)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _compare_and_swap(
    conn: Connection, zone: str, candidate_id: str, version: int, row: Mapping[str, Any]
) -> bool:
    """Write ``row`` only if the decision is still at ``version``, dropping any import's mark."""
    result = conn.execute(
        update(decisions)
        .where(
            decisions.c.zone_key == zone,
            decisions.c.candidate_id == candidate_id,
            decisions.c.version == version,
        )
        .values(**row, version=version + 1, import_id=None)
    )
    return result.rowcount == 1


def get_decisions(engine: Engine, zone: str) -> pd.DataFrame:
    """Return the current decisions of a zone, one row per candidate decided on.

    Columns: ``candidate_id``, ``FIELDS``, ``participant``, ``updated_at`` (UTC), ``version``,
    ``imported_from`` (the file an imported decision came from; empty once changed live).
    """
    query = (
        select(decisions, _origin(decisions))
        .where(decisions.c.zone_key == zone, decisions.c.version > 0)
        .order_by(decisions.c.candidate_id)
    )
    columns = ["candidate_id", *FIELDS, "participant", "updated_at", "version", "imported_from"]
    return _frame(engine, query, columns, "updated_at")


def _origin(table: Table) -> Any:  # noqa: ANN401 - a scalar subquery
    """Select the origin of the import a row came from, empty for a live change."""
    found = (
        select(decision_imports.c.origin)
        .where(decision_imports.c.id == table.c.import_id)
        .scalar_subquery()
    )
    return func.coalesce(found, "").label("imported_from")


def history(engine: Engine, zone: str, candidate_id: str | None = None) -> pd.DataFrame:
    """Return every change of a zone's decisions (or one candidate's), oldest first.

    Columns: ``candidate_id``, ``version``, ``FIELDS`` (state after the change), ``changed``
    (comma-separated fields the participant changed), ``participant``, ``changed_at`` (UTC),
    ``imported_from`` (the file an imported change came from, else empty).
    """
    query = select(decision_history, _origin(decision_history)).where(
        decision_history.c.zone_key == zone
    )
    if candidate_id is not None:
        query = query.where(decision_history.c.candidate_id == candidate_id)
    query = query.order_by(decision_history.c.changed_at, decision_history.c.id)
    columns = ["candidate_id", "version", *FIELDS, "changed", "participant", "changed_at"]
    columns.append("imported_from")
    return _frame(engine, query, columns, "changed_at")


def _frame(engine: Engine, query: Any, columns: list[str], moment: str) -> pd.DataFrame:  # noqa: ANN401
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame([{name: row[name] for name in columns} for row in rows], columns=columns)
    frame[moment] = pd.to_datetime(frame[moment], utc=True)
    return frame


def vote(engine: Engine, zone: str, candidate_id: str, *, participant: str, weight: int) -> None:
    """Set a participant's priority for a candidate (0 withdraws it; one vote per participant).

    Raises
    ------
    ValueError
        If ``weight`` is not between 0 and 3, or the participant name is empty.
    """
    who = _checked_participant(participant)
    if not 0 <= int(weight) <= MAX_VOTE:
        msg = f"weight={weight!r}; expected 0 (no vote), 1, 2 or 3"
        raise ValueError(msg)
    row = {
        "zone_key": zone,
        "candidate_id": candidate_id,
        "participant": who,
        "weight": int(weight),
        "voted_at": datetime.now(UTC),
    }

    def once() -> None:
        with _writing(engine) as conn:
            statement = _insert(conn, votes).values(**row)
            excluded = statement.excluded
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["zone_key", "candidate_id", "participant"],
                    set_={
                        "weight": excluded.weight,
                        "voted_at": excluded.voted_at,
                        "import_id": None,
                    },
                )
            )

    _retrying(once)


def get_votes(engine: Engine, zone: str, *, detail: bool = False) -> pd.DataFrame:
    """Return the votes of a zone.

    Parameters
    ----------
    engine
        The store.
    zone
        The zone's key.
    detail
        If True, one row per participant and candidate (``candidate_id``, ``participant``,
        ``weight``, ``voted_at``, ``imported_from``); else one row per candidate with ``votes``
        (participants who gave a priority), ``points`` (sum of priorities) and ``voters`` (their
        names).
    """
    query = select(votes, _origin(votes)).where(votes.c.zone_key == zone, votes.c.weight > 0)
    columns = ["candidate_id", "participant", "weight", "voted_at", "imported_from"]
    table = _frame(engine, query, columns, "voted_at")
    if detail:
        return table
    table = table.sort_values(["candidate_id", "participant"])
    return table.groupby("candidate_id", as_index=False).agg(
        votes=("participant", "size"),
        points=("weight", "sum"),
        voters=("participant", ", ".join),
    )


def decision_layers(engine: Engine, zone: str) -> dict[str, pd.DataFrame]:
    """Return the decisions, their history and the votes as tables for a GeoPackage export.

    Pass them to ``export_zone(zone, path, extra_layers=...)``; ``restore_decisions`` reads them
    back. Dates are ISO 8601 text in UTC, so that every GIS and spreadsheet reads them alike.
    """
    layers = {
        LAYERS[0]: get_decisions(engine, zone),
        LAYERS[1]: history(engine, zone),
        LAYERS[2]: get_votes(engine, zone, detail=True),
    }
    for table in layers.values():
        for column in ("updated_at", "changed_at", "voted_at"):
            if column in table:
                table[column] = table[column].map(lambda m: m.isoformat()).astype(str)
    return layers


def read_decision_layers(
    source: str | Path | bytes, *, limits: Limits | None = None
) -> dict[str, pd.DataFrame]:
    """Read the decision layers of a project GeoPackage; empty if it has none (or no file).

    Parameters
    ----------
    source
        The GeoPackage's path, or its bytes (an upload).
    limits
        Rows and columns allowed per layer; the GeoPackage is inspected first (`bounded`).

    Raises
    ------
    bounded.LimitError
        A layer beyond the limits, a view or a foreign trigger in the file.
    """
    if not isinstance(source, bytes):
        source = Path(source)
        if not source.is_file():
            return {}
    try:
        check_geopackage(source, limits or Limits(), read=lambda layer: layer in LAYERS)
        with warnings.catch_warnings():  # in memory, GDAL finds the file's name odd
            warnings.filterwarnings("ignore", "File /vsimem/", RuntimeWarning)
            present = {str(name) for name, _ in pyogrio.list_layers(source)}
            names = [name for name in LAYERS if name in present]
            if "decisions" not in names:
                return {}
            return {name: pyogrio.read_dataframe(source, layer=name) for name in names}
    except (pyogrio.errors.DataSourceError, sqlite3.DatabaseError):
        return {}


# --------------------------------------------------------------------------- imports


@dataclass
class ImportPreview:
    """Decisions and votes a GeoPackage carries, checked, ready for `import_decisions`.

    Attributes
    ----------
    origin : the file they come from
    decisions : one row per candidate to import: ``candidate_id``, ``FIELDS``, ``participant``,
        ``updated_at`` (UTC), ``version``
    history : their past changes: ``candidate_id``, ``version``, ``FIELDS``, ``changed``,
        ``participant``, ``changed_at``
    votes : ``candidate_id``, ``participant``, ``weight`` (1 to 3), ``voted_at``
    refused : rows left out: ``layer``, ``row`` (feature number, from 1), ``candidate_id``,
        ``reason`` (in the preview's language)
    kept : candidates the store has already decided on: their decision stays as it is
    """

    origin: str
    decisions: pd.DataFrame
    history: pd.DataFrame
    votes: pd.DataFrame
    refused: pd.DataFrame
    kept: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        """Tell whether there is nothing to import."""
        return self.decisions.empty and self.votes.empty


_DECISION_COLUMNS = ["candidate_id", *FIELDS, "participant", "updated_at", "version"]
_HISTORY_COLUMNS = ["candidate_id", "version", *FIELDS, "changed", "participant", "changed_at"]
_VOTE_COLUMNS = ["candidate_id", "participant", "weight", "voted_at"]
_REFUSED_COLUMNS = ["layer", "row", "candidate_id", "reason"]
_MAX_VERSION = 1_000_000


class _Refused(ValueError):  # noqa: N818 - a row left out, not an error of the program
    """One row left out of an import; ``key`` and ``values`` make its reason."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(key)


def preview_imported_decisions(
    layers: Mapping[str, pd.DataFrame],
    *,
    origin: str,
    candidates: Collection[str] | None = None,
    engine: Engine | None = None,
    zone: str | None = None,
    lang: str = DEFAULT_LANGUAGE,
    now: datetime | None = None,
) -> ImportPreview:
    """Check the decisions, history and votes of a GeoPackage before anyone imports them.

    Each row must name a candidate (of ``candidates`` when given) once, with statuses and check
    states of the board, texts within ``MAX_TEXT``, a participant, a version from 1, a date
    that is readable and not in the future, and votes of 0 to 3 (0: no vote). A row that
    breaks a rule is left out with its reason; a layer longer than ``MAX_IMPORTED`` is left out
    whole. Nothing is written.

    Parameters
    ----------
    layers
        ``read_decision_layers`` output.
    origin
        The file's name, kept with what is imported.
    candidates
        The zone's candidate ids; None accepts any.
    engine, zone
        The store and the zone's key: candidates it has already decided on are listed in
        ``kept`` and left out.
    lang
        Language of the reasons.
    now
        The present, for future dates (default: now).

    Returns
    -------
    ImportPreview
    """
    now = now or datetime.now(UTC)
    known = None if candidates is None else {str(c) for c in candidates}
    refused: list[dict[str, Any]] = []
    live = _decided(engine, zone) if engine is not None and zone is not None else set()
    checker = _RowChecker(known, live, now)
    chosen = checker.rows(layers.get("decisions"), "decisions", checker.decision, refused)
    accepted = {str(row["candidate_id"]) for row in chosen}
    checker.accepted = accepted
    steps = checker.rows(layers.get("decision_history"), "decision_history", checker.step, refused)
    ballots = checker.rows(layers.get("votes"), "votes", checker.ballot, refused)
    reasons = [
        {**row, "reason": t(str(row.pop("key")), lang, **row.pop("values"))} for row in refused
    ]
    return ImportPreview(
        origin=str(origin)[:200],
        decisions=_table(chosen, _DECISION_COLUMNS, "updated_at"),
        history=_table(steps, _HISTORY_COLUMNS, "changed_at"),
        votes=_table([b for b in ballots if b["weight"] > 0], _VOTE_COLUMNS, "voted_at"),
        refused=pd.DataFrame(reasons, columns=_REFUSED_COLUMNS),
        kept=sorted(checker.kept),
    )


def _decided(engine: Engine, zone: str) -> set[str]:
    with engine.connect() as conn:
        found = conn.execute(
            select(decisions.c.candidate_id).where(
                decisions.c.zone_key == zone, decisions.c.version > 0
            )
        )
        return {str(candidate) for candidate in found.scalars()}


def _table(rows: list[dict[str, Any]], columns: list[str], moment: str) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=columns)
    table[moment] = pd.to_datetime(table[moment], utc=True)
    return table


class _RowChecker:
    """The rules of `preview_imported_decisions`, one method per layer."""

    def __init__(self, known: set[str] | None, live: set[str], now: datetime) -> None:
        self.known = known
        self.live = live
        self.now = now
        self.accepted: set[str] = set()
        self.kept: set[str] = set()
        self.seen: set[tuple[str, ...]] = set()

    def rows(
        self,
        table: pd.DataFrame | None,
        layer: str,
        check: Callable[[Mapping[str, Any]], dict[str, Any] | None],
        refused: list[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Check each row of a layer; return those kept, add the others to ``refused``."""
        if table is None or table.empty:
            return []
        if len(table) > MAX_IMPORTED[layer]:
            refused.append(
                {
                    "layer": layer,
                    "row": None,
                    "candidate_id": "",
                    "key": "decisions.too_many_rows",
                    "values": {"limit": MAX_IMPORTED[layer]},
                }
            )
            return []
        kept = []
        for number, row in enumerate(
            records(table.drop(columns="geometry", errors="ignore")), start=1
        ):
            candidate = _text(row.get("candidate_id"), "").strip()
            try:
                checked = check({**row, "candidate_id": candidate})
            except _Refused as reason:
                refused.append(
                    {
                        "layer": layer,
                        "row": number,
                        "candidate_id": candidate[:200],
                        "key": reason.key,
                        "values": reason.values,
                    }
                )
                continue
            if checked is not None:
                kept.append(checked)
        return kept

    def _candidate(self, candidate: str) -> None:
        if not candidate or len(candidate) > 200:  # noqa: PLR2004 - the key column's width
            raise _Refused(key="decisions.no_candidate")
        if self.known is not None and candidate not in self.known:
            raise _Refused(key="decisions.unknown_candidate")

    def _once(self, *key: str) -> None:
        if key in self.seen:
            raise _Refused(key="decisions.duplicate")
        self.seen.add(key)

    def decision(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        candidate = row["candidate_id"]
        self._candidate(candidate)
        self._once("decision", candidate)
        values = _fields(row)
        who = _who(row.get("participant"))
        moment = _past(row.get("updated_at"), self.now)
        version = _version(row.get("version"))
        if candidate in self.live:
            self.kept.add(candidate)
            return None
        return {
            "candidate_id": candidate,
            **values,
            "participant": who,
            "updated_at": moment,
            "version": version,
        }

    def step(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        candidate = row["candidate_id"]
        if candidate in self.kept:
            return None  # the store's own history stays
        if candidate not in self.accepted:
            raise _Refused(key="decisions.orphan")
        version = _version(row.get("version"))
        self._once("step", candidate, str(version))
        changed = [name for name in _text(row.get("changed"), "").split(",") if name]
        if any(name not in FIELDS for name in changed):
            raise _Refused(key="decisions.bad_value", field="changed", value=",".join(changed)[:40])
        return {
            "candidate_id": candidate,
            "version": version,
            **_fields(row),
            "changed": ",".join(changed),
            "participant": _who(row.get("participant")),
            "changed_at": _past(row.get("changed_at"), self.now),
        }

    def ballot(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        candidate = row["candidate_id"]
        if candidate in self.live or candidate in self.kept:
            return None  # the workshop has decided on it: its votes stay as they are
        self._candidate(candidate)
        who = _who(row.get("participant"))
        self._once("vote", candidate, who)
        return {
            "candidate_id": candidate,
            "participant": who,
            "weight": _weight(row.get("weight")),
            "voted_at": _past(row.get("voted_at"), self.now),
        }


def _fields(row: Mapping[str, Any]) -> dict[str, str]:
    values = {name: _text(row.get(name), DEFAULTS[name]) for name in FIELDS}
    for name, value in values.items():
        allowed = STATUSES if name == "status" else CHECK_STATES if name in CHECKS else None
        if allowed is not None and value not in allowed:
            raise _Refused(key="decisions.bad_value", field=name, value=value[:40])
        if allowed is None and len(value) > MAX_TEXT:
            raise _Refused(key="decisions.text_too_long", field=name, limit=MAX_TEXT)
    return values


def _who(value: object) -> str:
    who = " ".join(_text(value, "").split())
    if not who:
        raise _Refused(key="decisions.no_participant")
    if len(who) > MAX_PARTICIPANT:
        raise _Refused(key="decisions.text_too_long", field="participant", limit=MAX_PARTICIPANT)
    return who


def _past(value: object, now: datetime) -> datetime:
    """Return a date of the file in UTC; refuse one unreadable, too old or in the future."""
    try:
        moment = _utc(pd.Timestamp(str(value)).to_pydatetime())
    except (ValueError, TypeError, OverflowError):
        raise _Refused(key="decisions.bad_date", value=_text(value, "")[:40]) from None
    if moment > now + _CLOCK_SLACK:
        raise _Refused(key="decisions.future_date", value=moment.strftime("%Y-%m-%d %H:%M UTC"))
    if moment < _EARLIEST:
        raise _Refused(key="decisions.bad_date", value=moment.strftime("%Y-%m-%d"))
    return moment


def _version(value: object) -> int:
    number = _whole(value)
    if number is None or not 1 <= number <= _MAX_VERSION:
        raise _Refused(key="decisions.bad_value", field="version", value=_text(value, "")[:40])
    return number


def _weight(value: object) -> int:
    number = _whole(value)
    if number is None or not 0 <= number <= MAX_VOTE:
        raise _Refused(key="decisions.bad_weight", value=_text(value, "")[:40])
    return number


def _whole(value: object) -> int | None:
    """Return a whole number given as a number or as text, else None."""
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    if not number.is_integer() or abs(number) > 2**31:
        return None
    return int(number)


def _text(value: object, default: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return default
    return str(value)


def import_decisions(
    engine: Engine,
    zone: str,
    preview: ImportPreview,
    *,
    by: str,
    facilitator: bool = False,
) -> int:
    """Write the decisions, history and votes of a preview into the store, marked as imported.

    Candidates the store has decided on meanwhile keep their decision (and their votes); a
    participant's vote already in the store stays too. Every row written carries the import's
    number; `imports` lists the imports with their origin, who made them and when.

    Parameters
    ----------
    engine
        The store.
    zone
        The zone's key (`zone_key`).
    preview
        `preview_imported_decisions` output.
    by
        The facilitator's name.
    facilitator
        Whether the person importing is a facilitator (the dashboard says so); nobody else may.

    Returns
    -------
    int
        The number of decisions imported.

    Raises
    ------
    PermissionError
        If ``facilitator`` is False.
    ValueError
        If ``by`` is empty.
    """
    if not facilitator:
        msg = "only a facilitator may import decisions into the workshop"
        raise PermissionError(msg)
    who = _checked_participant(by)
    if preview.empty():
        return 0
    return _retrying(lambda: _import_once(engine, zone, preview, who))


def _import_once(engine: Engine, zone: str, preview: ImportPreview, who: str) -> int:
    with _writing(engine) as conn:
        inserted = conn.execute(
            decision_imports.insert().values(
                zone_key=zone,
                origin=preview.origin or "?",
                imported_by=who,
                imported_at=datetime.now(UTC),
                decisions=0,
                votes=0,
            )
        ).inserted_primary_key
        if inserted is None:  # never: SQLAlchemy gives it for an INSERT of one row
            msg = "the decision import was not recorded"
            raise RuntimeError(msg)
        mark = inserted[0]
        present = set(
            conn.execute(
                select(decisions.c.candidate_id).where(
                    decisions.c.zone_key == zone, decisions.c.version > 0
                )
            ).scalars()
        )
        imported = 0
        for row in records(preview.decisions):
            candidate = str(row["candidate_id"])
            if candidate in present:
                continue
            steps = preview.history[preview.history["candidate_id"] == candidate]
            _import_one(conn, zone, mark, row, steps)
            imported += 1
        ballots = 0
        for ballot in preview.votes.to_dict("records"):
            if str(ballot["candidate_id"]) in present:
                continue
            statement = _insert(conn, votes).values(
                zone_key=zone,
                candidate_id=str(ballot["candidate_id"]),
                participant=ballot["participant"],
                weight=int(ballot["weight"]),
                voted_at=ballot["voted_at"].to_pydatetime(),
                import_id=mark,
            )
            written = statement.on_conflict_do_nothing().returning(votes.c.participant)
            ballots += len(conn.execute(written).all())
        conn.execute(
            update(decision_imports)
            .where(decision_imports.c.id == mark)
            .values(decisions=imported, votes=ballots)
        )
        return imported


def _import_one(
    conn: Connection, zone: str, mark: int, row: Mapping[str, Any], steps: pd.DataFrame
) -> None:
    candidate = str(row["candidate_id"])
    values = {name: row[name] for name in FIELDS}
    moment = row["updated_at"].to_pydatetime()
    conn.execute(
        decisions.delete().where(
            decisions.c.zone_key == zone, decisions.c.candidate_id == candidate
        )
    )
    conn.execute(
        decisions.insert().values(
            zone_key=zone,
            candidate_id=candidate,
            participant=row["participant"],
            updated_at=moment,
            version=int(row["version"]),
            import_id=mark,
            **values,
        )
    )
    past = records(steps)
    if not past:
        past = [{**row, "changed": ",".join(FIELDS), "changed_at": row["updated_at"]}]
    for step in past:
        conn.execute(
            decision_history.insert().values(
                zone_key=zone,
                candidate_id=candidate,
                version=int(step["version"]),
                changed=step["changed"],
                participant=step["participant"],
                changed_at=pd.Timestamp(step["changed_at"]).to_pydatetime(),
                import_id=mark,
                **{name: step[name] for name in FIELDS},
            )
        )


def imports(engine: Engine, zone: str) -> pd.DataFrame:
    """Return the imports of a zone, oldest first.

    Columns: ``id``, ``origin`` (the file), ``imported_by``, ``imported_at`` (UTC),
    ``decisions`` and ``votes`` (how many were written).
    """
    query = (
        select(decision_imports)
        .where(decision_imports.c.zone_key == zone)
        .order_by(decision_imports.c.id)
    )
    columns = ["id", "origin", "imported_by", "imported_at", "decisions", "votes"]
    return _frame(engine, query, columns, "imported_at")


def restore_decisions(
    engine: Engine,
    zone: str,
    layers: Mapping[str, pd.DataFrame],
    *,
    origin: str = "",
) -> int:
    """Bring back the decisions of a project GeoPackage opened from disk, where the store has none.

    For a file the server was started with (not an upload): the layers are checked as by
    `preview_imported_decisions` (rows breaking a rule are left out) and imported as by
    `import_decisions`, marked with ``origin``, by ``eit-geo``. Decisions already in the store
    (the live workshop) are never overwritten.

    Returns
    -------
    int
        The number of candidates restored.
    """
    preview = preview_imported_decisions(layers, origin=origin, engine=engine, zone=zone)
    return import_decisions(engine, zone, preview, by="eit-geo", facilitator=True)
