"""Typed views of pandas tables whose column labels are text (every table of eit-geo)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias, cast

import pandas as pd

__all__ = ["Row", "records"]

Row: TypeAlias = Mapping[str, Any] | pd.Series
"""One row of a table: a dict from `records` or a row ``Series`` (``table.loc[label]``)."""


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of a table as dicts keyed by column name.

    ``DataFrame.to_dict("records")`` is typed with ``Hashable`` keys; eit-geo's tables are
    labelled with text, so the keys are ``str``.

    Parameters
    ----------
    frame
        A table whose column labels are strings.

    Returns
    -------
    list of dict
        One dict per row, in the table's order.
    """
    return cast("list[dict[str, Any]]", frame.to_dict("records"))
