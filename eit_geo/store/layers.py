"""Decisions carried by a GeoPackage: written as layers, read, checked, previewed, imported.

Decisions a GeoPackage carries reach the store only through `import_decisions`, after
`preview_imported_decisions` has checked them, and stay marked with their origin.
"""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyogrio
from sqlalchemy import (
    select,
    update,
)

from eit_geo.bounded import Limits, check_geopackage
from eit_geo.frames import records
from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.store.decisions import (
    get_decisions,
    get_votes,
    history,
)
from eit_geo.store.engine import (
    cell_text,
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
    LAYERS,
    MAX_IMPORTED,
    MAX_PARTICIPANT,
    MAX_TEXT,
    MAX_VOTE,
    STATUSES,
    decision_history,
    decision_imports,
    decisions,
    votes,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine


__all__ = [
    "ImportPreview",
    "decision_layers",
    "import_decisions",
    "imports",
    "preview_imported_decisions",
    "read_decision_layers",
    "restore_decisions",
]


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
_CLOCK_SLACK = timedelta(minutes=5)  # a date later than now by more is refused on import
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


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
            candidate = cell_text(row.get("candidate_id"), "").strip()
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
        changed = [name for name in cell_text(row.get("changed"), "").split(",") if name]
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
    values = {name: cell_text(row.get(name), DEFAULTS[name]) for name in FIELDS}
    for name, value in values.items():
        allowed = STATUSES if name == "status" else CHECK_STATES if name in CHECKS else None
        if allowed is not None and value not in allowed:
            raise _Refused(key="decisions.bad_value", field=name, value=value[:40])
        if allowed is None and len(value) > MAX_TEXT:
            raise _Refused(key="decisions.text_too_long", field=name, limit=MAX_TEXT)
    return values


def _who(value: object) -> str:
    who = " ".join(cell_text(value, "").split())
    if not who:
        raise _Refused(key="decisions.no_participant")
    if len(who) > MAX_PARTICIPANT:
        raise _Refused(key="decisions.text_too_long", field="participant", limit=MAX_PARTICIPANT)
    return who


def _past(value: object, now: datetime) -> datetime:
    """Return a date of the file in UTC; refuse one unreadable, too old or in the future."""
    try:
        moment = utc(pd.Timestamp(str(value)).to_pydatetime())
    except (ValueError, TypeError, OverflowError):
        raise _Refused(key="decisions.bad_date", value=cell_text(value, "")[:40]) from None
    if moment > now + _CLOCK_SLACK:
        raise _Refused(key="decisions.future_date", value=moment.strftime("%Y-%m-%d %H:%M UTC"))
    if moment < _EARLIEST:
        raise _Refused(key="decisions.bad_date", value=moment.strftime("%Y-%m-%d"))
    return moment


def _version(value: object) -> int:
    number = _whole(value)
    if number is None or not 1 <= number <= _MAX_VERSION:
        raise _Refused(key="decisions.bad_value", field="version", value=cell_text(value, "")[:40])
    return number


def _weight(value: object) -> int:
    number = _whole(value)
    if number is None or not 0 <= number <= MAX_VOTE:
        raise _Refused(key="decisions.bad_weight", value=cell_text(value, "")[:40])
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
    who = checked_participant(by)
    if preview.empty():
        return 0
    return retrying(lambda: _import_once(engine, zone, preview, who))


def _import_once(engine: Engine, zone: str, preview: ImportPreview, who: str) -> int:
    with writing(engine) as conn:
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
            statement = insert(conn, votes).values(
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
    return read_frame(engine, query, columns, "imported_at")


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
