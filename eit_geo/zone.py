"""The Zone record: companies, flows, existing synergies and perimeter of one area."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd
    from pyproj import CRS

__all__ = ["COMPANY_COLUMNS", "FLOW_COLUMNS", "SYNERGY_COLUMNS", "WGS84", "Zone"]

WGS84 = "EPSG:4326"
"""The CRS of every position of a zone (longitude, latitude in degrees)."""

COMPANY_COLUMNS: tuple[str, ...] = ("id", "name", "sector", "employees")
FLOW_COLUMNS: tuple[str, ...] = (
    "company_id",
    "direction",
    "resource",
    "family",
    "quantity",
    "unit",
    "label",
)
SYNERGY_COLUMNS: tuple[str, ...] = (
    "from_id",
    "to_id",
    "resource",
    "family",
    "quantity",
    "unit",
    "since",
)


@dataclass
class Zone:
    """A loaded, valid zone.

    Attributes
    ----------
    name : display name (the folder or file name)
    companies : GeoDataFrame in EPSG:4326, one point per establishment; columns ``id``, ``name``,
        ``sector``, ``employees`` (nullable integer), any extra columns of the input, ``geometry``
    flows : DataFrame with ``flow_id`` then ``FLOW_COLUMNS`` (codes, directions and units
        canonical, ``quantity`` float per year) and extra columns
    synergies : DataFrame of existing exchanges, ``SYNERGY_COLUMNS`` (``since`` nullable integer)
    perimeter : GeoDataFrame of polygons in EPSG:4326, or None
    source : where the zone was read from
    """

    name: str
    companies: gpd.GeoDataFrame
    flows: pd.DataFrame
    synergies: pd.DataFrame
    perimeter: gpd.GeoDataFrame | None = None
    source: str = ""
    warnings: list[str] = field(default_factory=list)

    def metric_crs(self) -> CRS:
        """Return the UTM CRS of the zone, for distances and areas in metres."""
        return self.companies.estimate_utm_crs()

    def fingerprint(self) -> str:
        """Return a digest of the zone's content, a cache key that changes with any value."""
        digest = hashlib.sha256(self.name.encode())
        frames = [self.companies.to_wkb(), self.flows, self.synergies]
        if self.perimeter is not None:
            frames.append(self.perimeter.to_wkb())
        for frame in frames:
            digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode())
        return digest.hexdigest()

    def company_names(self) -> dict[str, str]:
        """Return ``{id: name}`` for the companies."""
        return dict(zip(self.companies["id"], self.companies["name"], strict=True))
