"""The decisions' store: its limits and tables (SQLAlchemy Core), and its errors.

The workshop's statuses, checks and fields are those of `eit_geo.workshop_decisions`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from eit_geo.workshop_decisions import CHECK_STATES, CHECKS, DEFAULTS, FIELDS, STATUSES

__all__ = [
    "CHECKS",
    "CHECK_STATES",
    "DEFAULTS",
    "FIELDS",
    "LAYERS",
    "MARKED",
    "MAX_IMPORTED",
    "MAX_PARTICIPANT",
    "MAX_TEXT",
    "MAX_VOTE",
    "STATUSES",
    "UPLOAD_PREFIX",
    "ConflictError",
    "Decision",
    "StoreBusyError",
    "decision_history",
    "decision_imports",
    "decisions",
    "metadata",
    "votes",
]

LAYERS: tuple[str, ...] = ("decisions", "decision_history", "votes")
MAX_PARTICIPANT = 80
MAX_TEXT = 4000
MAX_VOTE = 3  # the three priority levels of the board
MAX_IMPORTED = {"decisions": 10_000, "decision_history": 100_000, "votes": 100_000}
UPLOAD_PREFIX = "upload:"  # keys of uploaded zones; a zone read from disk never has a colon

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
MARKED = (decisions, decision_history, votes)  # tables whose rows carry import_id


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
