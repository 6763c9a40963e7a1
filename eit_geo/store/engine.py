"""Open the store, key each zone, and write safely: one locked transaction, tried again.

A transaction the database gives up (deadlock, busy file) is tried again after a random,
growing pause; the write lock is taken up front on SQLite. `writing`, `retrying`, `insert`,
`utc`, `checked_participant`, `cell_text` and `read_frame` are what the other stores
(`eit_geo.plan_store`) build on.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd
from sqlalchemy import (
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from eit_geo.settings import database_url_setting, user_data_folder
from eit_geo.store.schema import (
    MARKED,
    MAX_PARTICIPANT,
    UPLOAD_PREFIX,
    StoreBusyError,
    metadata,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from eit_geo.zone import Zone

__all__ = [
    "PAUSE",
    "PAUSE_MAX",
    "RETRIES",
    "cell_text",
    "checked_participant",
    "default_database_url",
    "insert",
    "open_store",
    "read_frame",
    "retrying",
    "utc",
    "writing",
    "zone_key",
]

_BUSY_SECONDS = 30  # how long a SQLite connection waits for another one to let go
RETRIES = 12  # transactions the database gave up, tried again after a growing random pause
PAUSE = 0.02  # seconds before the first new try; doubled each time, up to PAUSE_MAX
PAUSE_MAX = 1.0
_TRANSIENT = {"40001", "40P01", "55P03"}  # PostgreSQL: serialization, deadlock, lock not free
_WRITE = "eit_geo_write"
_LOCK_ID = 7_202_407  # PostgreSQL advisory lock held while creating the tables
_Result = TypeVar("_Result")

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
    with writing(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        metadata.create_all(conn)
        _add_import_columns(conn)
    return engine


def _add_import_columns(conn: Connection) -> None:
    """Give the tables of a store made before imports were marked their ``import_id`` column."""
    found = inspect(conn)
    for table in MARKED:
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
def writing(engine: Engine) -> Iterator[Connection]:
    """Yield a connection in a write transaction (SQLite: holding the write lock from the start)."""
    with engine.connect() as conn:
        conn.execution_options(**{_WRITE: True})
        with conn.begin():
            yield conn


class Contended(Exception):  # noqa: N818 - a signal of the store, never leaves it
    """A transaction to try again."""


def retrying(action: Callable[[], _Result], *, again: tuple[type[Exception], ...] = ()) -> _Result:
    """Run a transaction, again after a growing random pause when the database gave it up.

    ``again`` names more exceptions that mean « try again » (a row that moved meanwhile).

    Raises
    ------
    StoreBusyError
        After `RETRIES` tries.
    """
    retry_on: tuple[type[Exception], ...] = (Contended, *again)
    for attempt in range(RETRIES):
        try:
            return action()
        except retry_on:
            pass
        except DBAPIError as error:
            if not _transient(error):
                raise
        pause = min(PAUSE_MAX, PAUSE * 2**attempt)
        time.sleep(pause * random.uniform(0.5, 1.5))  # noqa: S311 - jitter, not a secret
    msg = "the decision store refused the change again and again; try again"
    raise StoreBusyError(msg)


def _transient(error: DBAPIError) -> bool:
    """Tell whether the database gave a transaction up for others (deadlock, busy file)."""
    if getattr(error.orig, "sqlstate", None) in _TRANSIENT:
        return True
    reason = str(error.orig).lower()
    return "database is locked" in reason or "database is busy" in reason


def checked_participant(participant: str) -> str:
    """Return a participant's name, spaces collapsed, cut to `MAX_PARTICIPANT`; refuse none."""
    who = " ".join(str(participant).split())
    if not who:
        msg = "participant: a name is required to record a decision or a vote"
        raise ValueError(msg)
    return who[:MAX_PARTICIPANT]


def insert(conn: Connection, table: Table) -> Any:  # noqa: ANN401 - dialect-specific Insert
    """Return the connection's dialect INSERT of ``table`` (``on_conflict_do_nothing`` etc.)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def utc(moment: datetime) -> datetime:
    """Return a moment in UTC (a naive one, as SQLite gives it back, is read as UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cell_text(value: object, default: str = "") -> str:
    """Return a table cell as text, ``default`` for a missing one (None, NaN)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return default
    return str(value)


def read_frame(
    engine: Engine,
    query: Any,  # noqa: ANN401 - a SQLAlchemy Select
    columns: Iterable[str],
    *moments: str,
) -> pd.DataFrame:
    """Return the rows of ``query`` as a table of ``columns``, the ``moments`` as UTC dates."""
    columns = list(columns)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame([{name: row[name] for name in columns} for row in rows], columns=columns)
    for moment in moments:
        frame[moment] = pd.to_datetime(frame[moment], utc=True)
    return frame
