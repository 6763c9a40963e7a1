"""After the workshop, in the decision store: action plan, quantities exchanged, zone snapshots.

The tables live in the same SQL database as the decisions (`eit_geo.store`: SQLite by default,
PostgreSQL by URL) and give the same guarantees: each change is one transaction that updates
the current row and appends its history row (who, when, which fields); a participant's change
only writes the fields they changed, so that two people editing the same step or the same year
lose nothing. Call `prepare` once on an engine from `store.open_store` to create the tables.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyogrio
from sqlalchemy import (
    Column,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    select,
    text,
    update,
)

from eit_geo import store
from eit_geo.frames import records
from eit_geo.store import cell_text, checked_participant

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine, RowMapping

__all__ = [
    "FACILITATOR",
    "MEASURE_STATUSES",
    "STEP_DEFAULTS",
    "STEP_FIELDS",
    "STEP_STATES",
    "get_realised",
    "get_steps",
    "latest_snapshot",
    "plan_layers",
    "prepare",
    "read_plan_layers",
    "realised_history",
    "record_realised",
    "record_realised_rows",
    "record_snapshot",
    "record_step",
    "restore_plan",
    "snapshot_before",
    "snapshots",
    "step_history",
]

STEP_STATES: tuple[str, ...] = ("todo", "doing", "done", "blocked")
STEP_FIELDS: tuple[str, ...] = ("step", "carrier", "due", "state")
STEP_DEFAULTS: dict[str, str] = {"step": "", "carrier": "", "due": "", "state": "todo"}
FACILITATOR = "@facilitator"
"""``carrier`` of a step the facilitator carries (else a company id; empty: nobody yet)."""
MEASURE_STATUSES: tuple[str, ...] = ("measured", "estimated")
REALISED_FIELDS: tuple[str, ...] = ("quantity", "unit", "status", "source")
REALISED_KEY: tuple[str, ...] = ("from_id", "to_id", "resource", "year", "month")
MAX_ID = 200
_LOCK_ID = 7_202_408  # PostgreSQL advisory lock held while creating these tables

metadata = MetaData()


def _who_when() -> list[Column[Any]]:
    return [
        Column("participant", String(store.MAX_PARTICIPANT), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
        Column("version", Integer, nullable=False),
    ]


def _step_columns() -> list[Column[Any]]:
    return [
        Column("step", Text, nullable=False),
        Column("carrier", String(MAX_ID), nullable=False),
        Column("due", String(10), nullable=False),
        Column("state", String(20), nullable=False),
    ]


def _realised_key(*, primary: bool) -> list[Column[Any]]:
    return [
        Column("zone_key", String(MAX_ID), primary_key=primary, nullable=False),
        Column("from_id", String(MAX_ID), primary_key=primary, nullable=False),
        Column("to_id", String(MAX_ID), primary_key=primary, nullable=False),
        Column("resource", String(40), primary_key=primary, nullable=False),
        Column("year", Integer, primary_key=primary, nullable=False),
        Column("month", Integer, primary_key=primary, nullable=False),
    ]


def _realised_columns() -> list[Column[Any]]:
    return [
        Column("quantity", Float, nullable=True),  # None: the figure was withdrawn
        Column("unit", String(20), nullable=False),
        Column("status", String(20), nullable=False),
        Column("source", Text, nullable=False),
    ]


plan_steps = Table(
    "plan_steps",
    metadata,
    Column("zone_key", String(MAX_ID), primary_key=True),
    Column("candidate_id", String(MAX_ID), primary_key=True),
    *_step_columns(),
    *_who_when(),
)
plan_history = Table(
    "plan_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_key", String(MAX_ID), nullable=False, index=True),
    Column("candidate_id", String(MAX_ID), nullable=False),
    Column("version", Integer, nullable=False),
    *_step_columns(),
    Column("changed", String(200), nullable=False),
    Column("participant", String(store.MAX_PARTICIPANT), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("zone_key", "candidate_id", "version", name="uq_plan_history_version"),
)
realised = Table(
    "realised", metadata, *_realised_key(primary=True), *_realised_columns(), *_who_when()
)
realised_changes = Table(
    "realised_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_realised_key(primary=False),
    Column("version", Integer, nullable=False),
    *_realised_columns(),
    Column("changed", String(200), nullable=False),
    Column("participant", String(store.MAX_PARTICIPANT), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint(*REALISED_KEY, "zone_key", "version", name="uq_realised_history_version"),
)
zone_snapshots = Table(
    "zone_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("zone_key", String(MAX_ID), nullable=False, index=True),
    Column("taken_at", DateTime(timezone=True), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
)


def prepare(engine: Engine) -> Engine:
    """Create the action-plan, follow-up and snapshot tables if needed; return the engine.

    Safe when several processes open the same store at once (PostgreSQL: advisory lock;
    SQLite: the write lock taken up front).
    """
    with store.writing(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
        metadata.create_all(conn)
    return engine


# --------------------------------------------------------------------------- versioned rows


class _Changed(Exception):  # noqa: N818 - a signal, not an error
    """A row changed between its read and its write (PostgreSQL): roll back and try again."""


def _change_row(
    engine: Engine,
    *,
    table: Table,
    history: Table,
    key: Mapping[str, Any],
    changes: Mapping[str, Any],
    defaults: Mapping[str, Any],
    who: str,
) -> tuple[dict[str, Any], int, tuple[str, ...]]:
    """Write the fields of ``changes`` that differ on the row ``key``; append the history row.

    Returns the row's fields after the change, its version and the fields changed (nothing is
    written when no field differs). The update is guarded by the version read, so that a
    concurrent change (PostgreSQL) is read again and merged rather than overwritten.
    """
    return _retried(
        engine,
        lambda conn: _change_once(
            conn,
            table=table,
            history=history,
            key=key,
            changes=changes,
            defaults=defaults,
            who=who,
        ),
    )


def _retried(engine: Engine, work: Any) -> Any:  # noqa: ANN401 - whatever ``work`` returns
    """Run ``work(conn)`` in one write transaction, again when it did not go through.

    After a growing random pause, when the database gave it up or a row moved: the decisions'
    rule (``store.retrying``).

    Raises
    ------
    store.StoreBusyError
        When it never went through.
    """

    def once() -> Any:  # noqa: ANN401
        with store.writing(engine) as conn:
            return work(conn)

    return store.retrying(once, again=(_Changed,))


def _change_once(
    conn: Connection,
    *,
    table: Table,
    history: Table,
    key: Mapping[str, Any],
    changes: Mapping[str, Any],
    defaults: Mapping[str, Any],
    who: str,
) -> tuple[dict[str, Any], int, tuple[str, ...]]:
    now = datetime.now(UTC)
    fresh = {**key, **defaults, "participant": who, "updated_at": now, "version": 0}
    conn.execute(store.insert(conn, table).values(**fresh).on_conflict_do_nothing())
    where = [table.c[name] == value for name, value in key.items()]
    locked = select(table).where(*where).with_for_update()  # SQLite: the file is held already
    current = dict(conn.execute(locked).mappings().one())
    fields = tuple(defaults)
    changed = tuple(f for f in fields if f in changes and changes[f] != current[f])
    merged = {f: changes[f] if f in changed else current[f] for f in fields}
    if not changed and current["version"] > 0:
        return merged, int(current["version"]), ()
    version = int(current["version"]) + 1
    result = conn.execute(
        update(table)
        .where(*where, table.c.version == current["version"])
        .values(**merged, participant=who, updated_at=now, version=version)
    )
    if result.rowcount != 1:
        raise _Changed
    conn.execute(
        history.insert().values(
            **key,
            **merged,
            version=version,
            changed=",".join(changed),
            participant=who,
            changed_at=now,
        )
    )
    return merged, version, changed


# --------------------------------------------------------------------------- action plan


def _checked_step(changes: Mapping[str, object]) -> dict[str, str]:
    problems: list[str] = []
    values: dict[str, str] = {}
    for name, value in changes.items():
        text_value = "" if value is None else str(value).strip()
        if name not in STEP_FIELDS:
            problems.append(f"unknown field {name!r}; expected one of {', '.join(STEP_FIELDS)}")
        elif name == "state" and text_value not in STEP_STATES:
            problems.append(f"state={value!r}; expected one of {', '.join(STEP_STATES)}")
        elif name == "due" and text_value and not _is_date(text_value):
            problems.append(f"due={value!r}; expected a date written YYYY-MM-DD, or nothing")
        elif name == "carrier" and len(text_value) > MAX_ID:
            problems.append(f"carrier is longer than {MAX_ID} characters")
        elif len(text_value) > store.MAX_TEXT:
            problems.append(f"{name} is longer than {store.MAX_TEXT} characters")
        else:
            values[name] = text_value
    if problems:
        msg = "; ".join(problems)
        raise ValueError(msg)
    return values


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == len("2026-01-31")


def record_step(
    engine: Engine,
    zone: str,
    candidate_id: str,
    changes: Mapping[str, object],
    *,
    participant: str,
) -> dict[str, Any]:
    """Change the next step of a lead and append the change to the plan's history.

    Parameters
    ----------
    engine
        The store (``store.open_store``, then `prepare`).
    zone
        The zone's key (``store.zone_key``).
    candidate_id
        The lead's stable id.
    changes
        Only the fields that change, among `STEP_FIELDS`: ``step`` (text), ``carrier`` (a
        company id, `FACILITATOR`, or empty), ``due`` (``YYYY-MM-DD`` or empty), ``state`` (one
        of `STEP_STATES`). Fields left out keep the value another participant may have just set.
    participant
        Who makes the change (the same identity as for decisions).

    Returns
    -------
    dict
        The step after the change: `STEP_FIELDS`, ``version`` and ``changed`` (the fields that
        differed; empty when nothing did, and then nothing was written).

    Raises
    ------
    ValueError
        On an unknown field or value, a malformed date, or an empty participant name.
    """
    values = _checked_step(changes)
    who = checked_participant(participant)
    key = {"zone_key": zone, "candidate_id": str(candidate_id)}
    merged, version, changed = _change_row(
        engine,
        table=plan_steps,
        history=plan_history,
        key=key,
        changes=values,
        defaults=STEP_DEFAULTS,
        who=who,
    )
    return {**merged, "version": version, "changed": changed}


def get_steps(engine: Engine, zone: str) -> pd.DataFrame:
    """Return the current step of every lead that has one.

    Columns: ``candidate_id``, `STEP_FIELDS`, ``participant``, ``updated_at`` (UTC),
    ``version``.
    """
    query = (
        select(plan_steps)
        .where(plan_steps.c.zone_key == zone, plan_steps.c.version > 0)
        .order_by(plan_steps.c.candidate_id)
    )
    columns = ["candidate_id", *STEP_FIELDS, "participant", "updated_at", "version"]
    return store.read_frame(engine, query, columns, "updated_at")


def step_history(engine: Engine, zone: str, candidate_id: str | None = None) -> pd.DataFrame:
    """Return every change of the plan (or of one lead's step), oldest first.

    Columns: ``candidate_id``, ``version``, `STEP_FIELDS` (after the change), ``changed``,
    ``participant``, ``changed_at`` (UTC).
    """
    query = select(plan_history).where(plan_history.c.zone_key == zone)
    if candidate_id is not None:
        query = query.where(plan_history.c.candidate_id == str(candidate_id))
    query = query.order_by(plan_history.c.changed_at, plan_history.c.id)
    columns = ["candidate_id", "version", *STEP_FIELDS, "changed", "participant", "changed_at"]
    return store.read_frame(engine, query, columns, "changed_at")


# --------------------------------------------------------------------------- realised quantities


def _checked_realised(row: Mapping[str, object]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the key and the fields of one realised figure, or raise on a bad value."""
    problems: list[str] = []
    key: dict[str, Any] = {}
    for name in ("from_id", "to_id", "resource"):
        value = str(row.get(name) or "").strip()
        if not value or len(value) > MAX_ID:
            problems.append(f"{name}={row.get(name)!r}; expected an id")
        key[name] = value
    year, month = row.get("year"), row.get("month") or 0
    if not isinstance(year, int) or not 1900 <= year <= 2100:  # noqa: PLR2004 - as in zones
        problems.append(f"year={year!r}; expected a whole year between 1900 and 2100")
    if not isinstance(month, int) or not 0 <= month <= 12:  # noqa: PLR2004 - 0: the whole year
        problems.append(f"month={month!r}; expected 1 to 12, or 0 for the whole year")
    key.update(year=year, month=month)
    fields: dict[str, Any] = {}
    quantity = row.get("quantity")
    number = float(quantity) if isinstance(quantity, int | float) else None
    if quantity is not None and (number is None or not number >= 0):
        problems.append(f"quantity={quantity!r}; expected a number, zero or more")
    fields["quantity"] = number
    status = str(row.get("status") or "")
    if status not in MEASURE_STATUSES:
        problems.append(f"status={status!r}; expected one of {', '.join(MEASURE_STATUSES)}")
    fields.update(
        unit=str(row.get("unit") or "")[:20], status=status, source=str(row.get("source") or "")
    )
    if len(fields["source"]) > store.MAX_TEXT:
        problems.append(f"source is longer than {store.MAX_TEXT} characters")
    if problems:
        msg = "; ".join(problems)
        raise ValueError(msg)
    return key, fields


_REALISED_DEFAULTS: dict[str, Any] = {
    "quantity": None,
    "unit": "",
    "status": "estimated",
    "source": "",
}


def record_realised(
    engine: Engine, zone: str, row: Mapping[str, object], *, participant: str
) -> dict[str, Any]:
    """Record the quantity a synergy actually exchanged in a year (or a month).

    Parameters
    ----------
    engine
        The store (prepared).
    zone
        The zone's key.
    row
        ``from_id``, ``to_id``, ``resource`` (the synergy), ``year``, ``month`` (1-12, or 0 or
        absent for the whole year), ``quantity`` (zero or more in the synergy's unit; None
        withdraws the figure), ``unit``, ``status`` (one of `MEASURE_STATUSES`), ``source``.
    participant
        Who records it.

    Returns
    -------
    dict
        The figure after the change, with ``version`` and ``changed``.

    Raises
    ------
    ValueError
        On a bad value or an empty participant name; nothing is written.
    """
    key, fields = _checked_realised(row)
    who = checked_participant(participant)
    merged, version, changed = _change_row(
        engine,
        table=realised,
        history=realised_changes,
        key={"zone_key": zone, **key},
        changes=fields,
        defaults=_REALISED_DEFAULTS,
        who=who,
    )
    return {**key, **merged, "version": version, "changed": changed}


def record_realised_rows(
    engine: Engine, zone: str, rows: Iterable[Mapping[str, object]], *, participant: str
) -> int:
    """Record many figures (an imported sheet) in one transaction: all of them, or none.

    Returns
    -------
    int
        How many figures changed (a row equal to the stored figure changes nothing).

    Raises
    ------
    ValueError
        On the first bad row (checked before anything is written).
    """
    checked = [_checked_realised(row) for row in rows]
    who = checked_participant(participant)

    def write_all(conn: Connection) -> int:
        changed = [
            _change_once(
                conn,
                table=realised,
                history=realised_changes,
                key={"zone_key": zone, **key},
                changes=fields,
                defaults=_REALISED_DEFAULTS,
                who=who,
            )[2]
            for key, fields in checked
        ]
        return sum(bool(fields) for fields in changed)

    return int(_retried(engine, write_all))


def get_realised(engine: Engine, zone: str) -> pd.DataFrame:
    """Return the realised figures of a zone (withdrawn ones left out), by synergy and period.

    Columns: ``from_id``, ``to_id``, ``resource``, ``year``, ``month`` (0: whole year),
    ``quantity``, ``unit``, ``status``, ``source``, ``participant``, ``updated_at``, ``version``.
    """
    query = (
        select(realised)
        .where(
            realised.c.zone_key == zone, realised.c.version > 0, realised.c.quantity.is_not(None)
        )
        .order_by(*(realised.c[name] for name in REALISED_KEY))
    )
    columns = [*REALISED_KEY, *REALISED_FIELDS, "participant", "updated_at", "version"]
    frame = store.read_frame(engine, query, columns, "updated_at")
    return frame.astype({"year": int, "month": int, "quantity": float})


def realised_history(engine: Engine, zone: str) -> pd.DataFrame:
    """Return every change of the realised figures, oldest first (``quantity`` None: withdrawn).

    Columns: the key, ``version``, the fields after the change, ``changed``, ``participant``,
    ``changed_at`` (UTC).
    """
    query = (
        select(realised_changes)
        .where(realised_changes.c.zone_key == zone)
        .order_by(realised_changes.c.changed_at, realised_changes.c.id)
    )
    columns = [*REALISED_KEY, "version", *REALISED_FIELDS, "changed", "participant", "changed_at"]
    return store.read_frame(engine, query, columns, "changed_at")


# --------------------------------------------------------------------------- snapshots


def record_snapshot(
    engine: Engine, zone: str, fingerprint: str, content: Mapping[str, object]
) -> bool:
    """Keep what the zone's data holds now, unless the latest snapshot has the same fingerprint.

    ``content`` is JSON-ready (``changes.zone_snapshot``); it is stored compressed. Returns
    whether a snapshot was added.
    """
    packed = zlib.compress(json.dumps(content, ensure_ascii=False).encode("utf-8"))
    with store.writing(engine) as conn:
        last = conn.execute(
            select(zone_snapshots.c.fingerprint)
            .where(zone_snapshots.c.zone_key == zone)
            .order_by(zone_snapshots.c.taken_at.desc(), zone_snapshots.c.id.desc())
            .limit(1)
        ).scalar()
        if last == fingerprint:
            return False
        conn.execute(
            zone_snapshots.insert().values(
                zone_key=zone, taken_at=datetime.now(UTC), fingerprint=fingerprint, content=packed
            )
        )
    return True


def snapshots(engine: Engine, zone: str) -> pd.DataFrame:
    """Return when the zone's data was seen to change: ``taken_at`` (UTC), ``fingerprint``."""
    query = (
        select(zone_snapshots.c.taken_at, zone_snapshots.c.fingerprint)
        .where(zone_snapshots.c.zone_key == zone)
        .order_by(zone_snapshots.c.taken_at, zone_snapshots.c.id)
    )
    return store.read_frame(engine, query, ["taken_at", "fingerprint"], "taken_at")


def _unpacked(row: RowMapping | None) -> tuple[datetime, dict[str, Any]] | None:
    if row is None:
        return None
    content = json.loads(zlib.decompress(row["content"]).decode("utf-8"))
    return store.utc(row["taken_at"]), content


def snapshot_before(
    engine: Engine, zone: str, moment: datetime
) -> tuple[datetime, dict[str, Any]] | None:
    """Return the zone's data as it stood at ``moment``: the last snapshot taken by then.

    None when the first snapshot is later (nothing was recorded that far back).
    """
    query = (
        select(zone_snapshots)
        .where(zone_snapshots.c.zone_key == zone, zone_snapshots.c.taken_at <= moment)
        .order_by(zone_snapshots.c.taken_at.desc(), zone_snapshots.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return _unpacked(conn.execute(query).mappings().first())


def latest_snapshot(engine: Engine, zone: str) -> tuple[datetime, dict[str, Any]] | None:
    """Return the latest snapshot of the zone's data (when, content), or None."""
    query = (
        select(zone_snapshots)
        .where(zone_snapshots.c.zone_key == zone)
        .order_by(zone_snapshots.c.taken_at.desc(), zone_snapshots.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        return _unpacked(conn.execute(query).mappings().first())


# --------------------------------------------------------------------------- export


def plan_layers(engine: Engine, zone: str) -> dict[str, pd.DataFrame]:
    """Return the plan, its history and the realised figures as tables for a GeoPackage export.

    Dates are ISO 8601 text in UTC, as in ``store.decision_layers``.
    """
    layers = {
        "plan_steps": get_steps(engine, zone),
        "plan_history": step_history(engine, zone),
        "realised": get_realised(engine, zone),
        "realised_history": realised_history(engine, zone),
    }
    for table in layers.values():
        for column in ("updated_at", "changed_at"):
            if column in table:
                table[column] = table[column].map(lambda m: m.isoformat()).astype(str)
    return layers


PLAN_LAYERS: tuple[str, ...] = ("plan_steps", "plan_history", "realised", "realised_history")


def read_plan_layers(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read the plan and realised layers of a project GeoPackage; empty if it has none."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        present = {str(name) for name, _ in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError:
        return {}
    return {
        name: pyogrio.read_dataframe(path, layer=name) for name in PLAN_LAYERS if name in present
    }


def restore_plan(engine: Engine, zone: str, layers: Mapping[str, pd.DataFrame]) -> int:
    """Load a plan and realised figures exported by `plan_layers`, where the store has none.

    A lead's step (with its history) comes back only if the store holds no step for it; a
    realised figure (with its history) only if the store holds none for that synergy and
    period: the live store is never overwritten. All in one transaction.

    Returns
    -------
    int
        How many steps and figures were restored.
    """
    steps, figures = layers.get("plan_steps"), layers.get("realised")
    if (steps is None or steps.empty) and (figures is None or figures.empty):
        return 0

    def restore(conn: Connection) -> int:
        restored = 0
        if steps is not None and not steps.empty:
            have = set(
                conn.execute(
                    select(plan_steps.c.candidate_id).where(
                        plan_steps.c.zone_key == zone, plan_steps.c.version > 0
                    )
                ).scalars()
            )
            past = layers.get("plan_history")
            for row in records(steps):
                candidate = str(row["candidate_id"])
                if candidate in have:
                    continue
                values = _checked_step({f: cell_text(row.get(f)) for f in STEP_FIELDS})
                _restore_rows(
                    conn,
                    (plan_steps, plan_history),
                    {"zone_key": zone, "candidate_id": candidate},
                    {**STEP_DEFAULTS, **values},
                    row=row,
                    past=_matching(past, {"candidate_id": candidate}),
                )
                restored += 1
        if figures is not None and not figures.empty:
            have_keys = {
                tuple(r)
                for r in conn.execute(
                    select(*(realised.c[n] for n in REALISED_KEY)).where(
                        realised.c.zone_key == zone, realised.c.version > 0
                    )
                )
            }
            past = layers.get("realised_history")
            for row in records(figures):
                key, fields = _checked_realised(
                    {**row, "year": int(row["year"]), "month": int(row.get("month") or 0),
                     "quantity": float(row["quantity"])}
                )  # fmt: skip
                if tuple(key[n] for n in REALISED_KEY) in have_keys:
                    continue
                _restore_rows(
                    conn,
                    (realised, realised_changes),
                    {"zone_key": zone, **key},
                    fields,
                    row=row,
                    past=_matching(past, {n: key[n] for n in REALISED_KEY}),
                )
                restored += 1
        return restored

    return int(_retried(engine, restore))


def _matching(table: pd.DataFrame | None, key: Mapping[str, Any]) -> pd.DataFrame | None:
    if table is None or table.empty:
        return None
    mask = pd.Series(True, index=table.index)
    for name, value in key.items():
        mask &= table[name].astype(str) == str(value)
    return table[mask]


def _restore_rows(
    conn: Connection,
    tables: tuple[Table, Table],
    key: Mapping[str, Any],
    fields: Mapping[str, Any],
    *,
    row: Mapping[str, Any],
    past: pd.DataFrame | None,
) -> None:
    """Write one restored row and its history (the exported one, else one line for the row)."""
    table, history = tables
    who = checked_participant(cell_text(row.get("participant")) or "import")
    moment = _moment(row.get("updated_at"))
    version = int(row.get("version") or 1)
    conn.execute(table.delete().where(*(table.c[n] == v for n, v in key.items())))
    conn.execute(
        table.insert().values(**key, **fields, participant=who, updated_at=moment, version=version)
    )
    steps = records(past) if past is not None and not past.empty else [
        {**row, "changed": ",".join(fields), "changed_at": moment}
    ]  # fmt: skip
    for step in steps:
        values = {n: step.get(n, fields[n]) for n in fields}
        values = {
            n: (None if n == "quantity" and cell_text(v) == "" else v) for n, v in values.items()
        }
        if "quantity" in values and values["quantity"] is not None:
            values["quantity"] = float(values["quantity"])
        for name in values:
            if name != "quantity":
                values[name] = cell_text(values[name])
        conn.execute(
            history.insert().values(
                **key,
                **values,
                version=int(step.get("version") or version),
                changed=cell_text(step.get("changed")),
                participant=checked_participant(cell_text(step.get("participant")) or "import"),
                changed_at=_moment(step.get("changed_at")),
            )
        )


def _moment(value: str | datetime | None) -> datetime:
    if value is None or cell_text(value) == "":
        return datetime.now(UTC)
    return store.utc(pd.Timestamp(value).to_pydatetime())
