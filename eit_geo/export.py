"""Write a zone as the project GeoPackage: layers companies, flows, synergies, perimeter."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyogrio

if TYPE_CHECKING:
    import pandas as pd

    from eit_geo.zone import Zone

__all__ = ["atomic_path", "export_zone"]


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
