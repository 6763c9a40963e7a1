"""Work out a column once per distinct value: codes, units, statuses, names, numbers.

Real tables repeat a few values over many rows (twenty resource codes over 500,000 flows): a
function of one value runs once per distinct value, and its results are spread over the rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["map_distinct"]


def map_distinct(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """Apply ``function`` once per distinct value of ``values`` (missing ones too).

    Returns
    -------
    pandas.Series
        The results on ``values``' index, of object dtype.
    """
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    mapped = np.array([function(value) for value in distinct] + [None], dtype=object)
    return pd.Series(mapped[codes], index=values.index, dtype=object)
