"""Write a zone as the project GeoPackage; keep the tables written for spreadsheets inert."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyogrio

if TYPE_CHECKING:
    from eit_geo.zone import Zone

__all__ = ["FORMULA_START", "atomic_path", "export_zone", "is_formula", "neutralise_formulas"]

# A cell a spreadsheet would run as a formula: « = + - @ » or their full-width forms first, after
# any spaces (Excel and LibreOffice drop them), or a tab or line break first (OWASP).
FORMULA_START = re.compile(r"(?:[\t\r\n]|\s*[=+\-@\uff1d\uff0b\uff0d\uff20])")


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells that would run as a formula begin with ``'``.

    ``=HYPERLINK(…)``, `` =1+1``, a tab then ``=cmd``, ``＝1+1`` (full-width) become text;
    numbers and other cells are left as they are. Each distinct text is checked once (a
    column of millions of rows names a few thousand companies).
    """
    safe = table.copy()
    for column in safe.columns:
        values = safe[column]
        text = values.dtype == object or pd.api.types.is_string_dtype(values)
        if not (text or isinstance(values.dtype, pd.CategoricalDtype)):
            continue
        codes, uniques = pd.factorize(values)
        risky_unique = np.array([is_formula(value) for value in uniques], dtype=bool)
        if risky_unique.any():
            risky = (codes >= 0) & risky_unique[np.maximum(codes, 0)]
            safe[column] = values.astype(object).where(~risky, "'" + values.astype(str))
    return safe


def is_formula(value: object) -> bool:
    """Tell whether ``value`` is a text a spreadsheet would run as a formula (`FORMULA_START`)."""
    return isinstance(value, str) and FORMULA_START.match(value) is not None


def export_zone(
    zone: Zone, path: str | Path, *, extra_layers: Mapping[str, pd.DataFrame] | None = None
) -> Path:
    """Write ``zone`` to a GeoPackage that opens in QGIS and loads back identical.

    Parameters
    ----------
    zone
        The zone to write.
    path
        Target ``.gpkg`` file; replaced atomically, so a failure leaves any previous file intact.
    extra_layers
        More attribute tables to store beside the zone's (e.g. workshop ``decisions``).

    Returns
    -------
    Path
        The written file.
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        zone.companies.to_file(tmp, layer="companies", driver="GPKG", engine="pyogrio")
        _write_table(zone.flows.drop(columns=["family"]), tmp, "flows")
        _write_table(zone.synergies.drop(columns=["family"]), tmp, "synergies")
        if zone.perimeter is not None and not zone.perimeter.empty:
            zone.perimeter.to_file(tmp, layer="perimeter", driver="GPKG", engine="pyogrio")
        for layer, table in (extra_layers or {}).items():
            _write_table(table, tmp, layer)
    return target


def _write_table(table: pd.DataFrame, path: Path, layer: str) -> None:
    pyogrio.write_dataframe(table.reset_index(drop=True), path, layer=layer, driver="GPKG")


class atomic_path:  # noqa: N801 - used as a context manager, named like one
    """Context manager yielding a temporary path that replaces ``target`` only on success."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(
            prefix=f".{self.target.stem}-", suffix=self.target.suffix, dir=self.target.parent
        )
        os.close(handle)
        self.tmp = Path(name)
        self.tmp.unlink()
        return self.tmp

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        assert self.tmp is not None  # noqa: S101 - set by __enter__
        if kind is None:
            with self.tmp.open("rb") as handle:
                os.fsync(handle.fileno())
            self.tmp.replace(self.target)
        else:
            self.tmp.unlink(missing_ok=True)
