"""Decisions and votes: record a change (compare-and-swap on the version), read them back.

Each change is one transaction that locks the decision's row, updates it and appends its
history row, so that concurrent participants never overwrite each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Table,
    func,
    select,
    update,
)

from eit_geo.store.engine import (
    Contended,
    checked_participant,
    insert,
    read_frame,
    retrying,
    utc,
    writing,
)
from eit_geo.store.schema import (
    CHECK_STATES,
    CHECKS,
    DEFAULTS,
    FIELDS,
    MAX_TEXT,
    MAX_VOTE,
    STATUSES,
    ConflictError,
    Decision,
    decision_history,
    decision_imports,
    decisions,
    votes,
)

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import Connection, Engine, RowMapping


__all__ = [
    "get_decisions",
    "get_votes",
    "history",
    "record_decision",
    "vote",
]


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
    who = checked_participant(participant)
    return retrying(
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
    with writing(engine) as conn:
        _ensure_row(conn, zone, candidate_id, who)
        current = _read_decision(conn, zone, candidate_id, lock=True)
        if expected is not None and current.version != expected:
            raise ConflictError(current if current.version else None, expected)
        merged = {name: values.get(name, getattr(current, name)) for name in FIELDS}
        now = datetime.now(UTC)
        row = {**merged, "participant": who, "updated_at": now}
        if not _compare_and_swap(conn, zone, candidate_id, current.version, row):
            raise Contended  # the row is locked: only a foreign writer could get here
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
    conn.execute(insert(conn, decisions).values(**row).on_conflict_do_nothing())


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
    values["updated_at"] = utc(row["updated_at"])
    return Decision(**values)


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
    return read_frame(engine, query, columns, "updated_at")


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
    return read_frame(engine, query, columns, "changed_at")


def vote(engine: Engine, zone: str, candidate_id: str, *, participant: str, weight: int) -> None:
    """Set a participant's priority for a candidate (0 withdraws it; one vote per participant).

    Raises
    ------
    ValueError
        If ``weight`` is not between 0 and 3, or the participant name is empty.
    """
    who = checked_participant(participant)
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
        with writing(engine) as conn:
            statement = insert(conn, votes).values(**row)
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

    retrying(once)


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
    table = read_frame(engine, query, columns, "voted_at")
    if detail:
        return table
    table = table.sort_values(["candidate_id", "participant"])
    return table.groupby("candidate_id", as_index=False).agg(
        votes=("participant", "size"),
        points=("weight", "sum"),
        voters=("participant", ", ".join),
    )
