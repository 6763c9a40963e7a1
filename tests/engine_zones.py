"""Small hand-made zones of the engine's tests (tests/data/engine-*), and how tests read links."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from eit_geo.loading import load_zone

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.zone import Zone

DATA = Path(__file__).parent / "data"


def zone(name: str) -> Zone:
    """Load the hand-made zone ``tests/data/engine-NAME``."""
    return load_zone(DATA / f"engine-{name}")


def links(table: pd.DataFrame, *columns: str) -> set[tuple]:
    """Return the links of ``table`` as tuples of ``columns`` (ends and codes by default)."""
    columns = columns or ("from_id", "to_id", "resource", "input_resource")
    return set(table[list(columns)].itertuples(index=False, name=None))


def without_synergies(z: Zone) -> Zone:
    """Return ``z`` without its existing synergies."""
    return dataclasses.replace(z, synergies=z.synergies.iloc[:0])
