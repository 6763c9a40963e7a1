"""eit-geo: map a zone's industrial flows, find synergies and measure what they bring."""

from eit_geo.errors import Problem, ZoneError
from eit_geo.loading import load_zone
from eit_geo.zone import Zone

__all__ = ["Problem", "Zone", "ZoneError", "load_zone"]
__version__ = "0.1.0"
