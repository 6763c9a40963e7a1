"""Workshop decisions: one SQL store (SQLite file by default, PostgreSQL by URL) shared by everyone.

Every function takes the SQLAlchemy engine as its first argument, like
``geopandas.read_postgis(sql, con)``; ``open_store`` makes it. Each change is one transaction
that updates the decision and appends its history row, guarded by a version number so that
concurrent participants never overwrite each other silently.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from eit_geo.settings import DATABASE_ENV, database_url_setting, user_data_folder

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from eit_geo.zone import Zone

__all__ = [
    "CHECKS",
    "CHECK_STATES",
    "DATABASE_ENV",
    "FIELDS",
    "STATUSES",
    "ConflictError",
    "Decision",
    "decision_layers",
    "default_database_url",
    "get_decisions",
    "get_votes",
    "history",
    "open_store",
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
_BUSY_SECONDS = 30  # how long a SQLite connection waits for another one to let go
_RETRIES = 50
_WRITE = "eit_geo_write"
_LOCK_ID = 7_202_407  # PostgreSQL advisory lock held while creating the tables

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
    UniqueConstraint("zone_key", "candidate_id", "version", name="uq_history_version"),
)
votes = Table(
    "votes",
    metadata,
    *_key_columns(),
    Column("participant", String(MAX_PARTICIPANT), primary_key=True),
    Column("weight", Integer, nullable=False),
    Column("voted_at", DateTime(timezone=True), nullable=False),
)


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


def zone_key(zone: Zone) -> str:
    """Return the key under which a zone's decisions are stored.

    The zone's name plus a digest of its company ids: it survives corrections of quantities or
    positions (which change ``Zone.fingerprint``) but tells apart two zones of the same name.
    """
    ids = "\n".join(sorted(map(str, zone.companies["id"])))
    digest = hashlib.sha256(ids.encode()).hexdigest()[:10]
    slug = re.sub(r"[^0-9a-z]+", "-", zone.name.lower()).strip("-")[:60] or "zone"
    return f"{slug}-{digest}"


def default_database_url(zone_source: str | Path | None, *, shipped: Path | None = None) -> str:
    """Return where decisions are kept when no URL is given.

    ``EIT_GEO_DATABASE_URL`` when set (e.g. ``postgresql://user@host/eit``); else a SQLite file
    ``.eit-geo/decisions.sqlite`` inside the zone's folder (beside a zone file) when it is
    writable and not under ``shipped`` (the examples, kept clean); else one file in the user
    data folder (``$XDG_DATA_HOME/eit-geo/decisions.sqlite``, by default under
    ``~/.local/share``).
    """
    url = database_url_setting()
    if url:
        return url
    folder = _zone_folder(zone_source, shipped)
    if folder is None:
        return f"sqlite:///{user_data_folder() / 'eit-geo' / 'decisions.sqlite'}"
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
    return engine


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
    for _ in range(_RETRIES):
        with _writing(engine) as conn:
            _ensure_row(conn, zone, candidate_id, who)
            current = _read_decision(conn, zone, candidate_id)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError(current if current.version else None, expected_version)
            merged = {name: values.get(name, getattr(current, name)) for name in FIELDS}
            now = datetime.now(UTC)
            row = {**merged, "participant": who, "updated_at": now}
            if _compare_and_swap(conn, zone, candidate_id, current.version, row):
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
    msg = f"too many concurrent changes on candidate {candidate_id!r}; try again"
    raise RuntimeError(msg)


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


def _read_decision(conn: Connection, zone: str, candidate_id: str) -> Decision:
    query = select(decisions).where(
        decisions.c.zone_key == zone, decisions.c.candidate_id == candidate_id
    )
    row = conn.execute(query).mappings().one()
    return _as_decision(row)


def _as_decision(row: Mapping[str, Any]) -> Decision:
    values = {name: row[name] for name in Decision.__dataclass_fields__}
    values["updated_at"] = _utc(row["updated_at"])
    return Decision(**values)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _compare_and_swap(
    conn: Connection, zone: str, candidate_id: str, version: int, row: Mapping[str, Any]
) -> bool:
    """Write ``row`` only if the decision is still at ``version`` (PostgreSQL waits, rechecks)."""
    result = conn.execute(
        update(decisions)
        .where(
            decisions.c.zone_key == zone,
            decisions.c.candidate_id == candidate_id,
            decisions.c.version == version,
        )
        .values(**row, version=version + 1)
    )
    return result.rowcount == 1


def get_decisions(engine: Engine, zone: str) -> pd.DataFrame:
    """Return the current decisions of a zone, one row per candidate decided on.

    Columns: ``candidate_id``, ``FIELDS``, ``participant``, ``updated_at`` (UTC), ``version``.
    """
    query = (
        select(decisions)
        .where(decisions.c.zone_key == zone, decisions.c.version > 0)
        .order_by(decisions.c.candidate_id)
    )
    columns = ["candidate_id", *FIELDS, "participant", "updated_at", "version"]
    return _frame(engine, query, columns, "updated_at")


def history(engine: Engine, zone: str, candidate_id: str | None = None) -> pd.DataFrame:
    """Return every change of a zone's decisions (or one candidate's), oldest first.

    Columns: ``candidate_id``, ``version``, ``FIELDS`` (state after the change), ``changed``
    (comma-separated fields the participant changed), ``participant``, ``changed_at`` (UTC).
    """
    query = select(decision_history).where(decision_history.c.zone_key == zone)
    if candidate_id is not None:
        query = query.where(decision_history.c.candidate_id == candidate_id)
    query = query.order_by(decision_history.c.changed_at, decision_history.c.id)
    columns = ["candidate_id", "version", *FIELDS, "changed", "participant", "changed_at"]
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
    if not 0 <= int(weight) <= 3:  # noqa: PLR2004 - the three priority levels of the board
        msg = f"weight={weight!r}; expected 0 (no vote), 1, 2 or 3"
        raise ValueError(msg)
    row = {
        "zone_key": zone,
        "candidate_id": candidate_id,
        "participant": who,
        "weight": int(weight),
        "voted_at": datetime.now(UTC),
    }
    with _writing(engine) as conn:
        statement = _insert(conn, votes).values(**row)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["zone_key", "candidate_id", "participant"],
                set_={"weight": statement.excluded.weight, "voted_at": statement.excluded.voted_at},
            )
        )


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
        ``weight``, ``voted_at``); else one row per candidate with ``votes`` (participants who
        gave a priority), ``points`` (sum of priorities) and ``voters`` (their names).
    """
    query = select(votes).where(votes.c.zone_key == zone, votes.c.weight > 0)
    columns = ["candidate_id", "participant", "weight", "voted_at"]
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


def read_decision_layers(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read the decision layers of a project GeoPackage; empty if it has none (or no file)."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        present = {str(name) for name, _ in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError:
        return {}
    names = [name for name in LAYERS if name in present]
    if "decisions" not in names:
        return {}
    return {name: pyogrio.read_dataframe(path, layer=name) for name in names}


def restore_decisions(
    engine: Engine,
    zone: str,
    layers: Mapping[str, pd.DataFrame],
) -> int:
    """Load decisions exported by ``decision_layers`` into the store, for candidates it lacks.

    Decisions already in the store (the live workshop) are never overwritten. The history and the
    votes of the restored candidates come along when ``layers`` holds them.

    Returns
    -------
    int
        The number of candidates restored.
    """
    table = layers.get("decisions")
    if table is None or table.empty:
        return 0
    past = layers.get("decision_history")
    ballots = layers.get("votes")
    restored = 0
    with _writing(engine) as conn:
        present = set(
            conn.execute(
                select(decisions.c.candidate_id).where(
                    decisions.c.zone_key == zone, decisions.c.version > 0
                )
            ).scalars()
        )
        for row in table.to_dict("records"):
            candidate = str(row["candidate_id"])
            if candidate in present:
                continue
            _restore_one(conn, zone, candidate, row, past=past, ballots=ballots)
            restored += 1
    return restored


def _restore_one(
    conn: Connection,
    zone: str,
    candidate: str,
    row: Mapping[str, Any],
    *,
    past: pd.DataFrame | None,
    ballots: pd.DataFrame | None,
) -> None:
    values = _checked_changes({name: _text(row.get(name), DEFAULTS[name]) for name in FIELDS})
    who = _checked_participant(_text(row.get("participant"), "import"))
    moment = _moment(row.get("updated_at"))
    version = int(row.get("version") or 1)
    conn.execute(
        decisions.delete().where(
            decisions.c.zone_key == zone, decisions.c.candidate_id == candidate
        )
    )
    conn.execute(
        decisions.insert().values(
            zone_key=zone,
            candidate_id=candidate,
            participant=who,
            updated_at=moment,
            version=version,
            **values,
        )
    )
    steps = past[past["candidate_id"].astype(str) == candidate] if past is not None else None
    if steps is None or steps.empty:
        steps = pd.DataFrame([{**row, "changed": ",".join(FIELDS), "changed_at": moment}])
    for step in steps.to_dict("records"):
        conn.execute(
            decision_history.insert().values(
                zone_key=zone,
                candidate_id=candidate,
                version=int(step.get("version") or version),
                changed=_text(step.get("changed"), ""),
                participant=_checked_participant(_text(step.get("participant"), "import")),
                changed_at=_moment(step.get("changed_at")),
                **_checked_changes({n: _text(step.get(n), DEFAULTS[n]) for n in FIELDS}),
            )
        )
    if ballots is not None and not ballots.empty:
        for ballot in ballots[ballots["candidate_id"].astype(str) == candidate].to_dict("records"):
            conn.execute(
                votes.insert().values(
                    zone_key=zone,
                    candidate_id=candidate,
                    participant=_checked_participant(_text(ballot.get("participant"), "import")),
                    weight=int(ballot.get("weight") or 0),
                    voted_at=_moment(ballot.get("voted_at")),
                )
            )


def _text(value: object, default: str) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return default
    return str(value)


def _moment(value: object) -> datetime:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return datetime.now(UTC)
    return _utc(pd.Timestamp(value).to_pydatetime())
