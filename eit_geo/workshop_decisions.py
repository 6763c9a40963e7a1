"""The workshop's words for a decision about a lead: its statuses, its checks and their states.

The workshop board (`workshop`) shows them, the store (`store`) keeps them, the report prints
them; this module holds them alone so that the store needs nothing else of the workshop.
"""

from __future__ import annotations

__all__ = ["CHECKS", "CHECK_STATES", "DEFAULTS", "FIELDS", "STATUSES"]

STATUSES: tuple[str, ...] = ("to_study", "retained", "rejected", "in_place")
"""What the workshop decided about a lead: to study, retained, rejected, in place."""
CHECKS: tuple[str, ...] = ("technical", "regulatory", "economic")
"""The checks a lead goes through before it is retained."""
CHECK_STATES: tuple[str, ...] = ("pending", "ok", "watch", "blocking")
"""The state of one check."""
FIELDS: tuple[str, ...] = (
    "status",
    *(name for check in CHECKS for name in (check, f"{check}_note")),
    "comment",
)
"""The fields of a decision, as the store keeps them."""
DEFAULTS: dict[str, str] = {
    "status": "to_study",
    **dict.fromkeys(CHECKS, "pending"),
    **{f"{check}_note": "" for check in CHECKS},
    "comment": "",
}
"""A lead nobody has decided about yet."""
