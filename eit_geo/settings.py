"""Settings read from the environment, with their defaults: the one place that reads ``os.environ``.

=========================  ==============================================================
variable                   meaning (default)
=========================  ==============================================================
``EIT_GEO_ZONE``           zone the dashboard opens (set by ``eit-geo app``; Kalundborg)
``EIT_GEO_DATABASE_URL``   decision store, e.g. ``postgresql://user@host/eit`` (a SQLite
                           file beside the zone, or in the user data folder)
``EIT_GEO_CHROMIUM``       Chrome/Chromium used for PDF reports (the first on ``PATH``)
``EIT_GEO_TIMEZONE``       time zone of the dates shown (``Europe/Paris``)
``EIT_GEO_BASEMAP``        an MBTiles file offered as the offline basemap (none)
``XDG_DATA_HOME``          user data folder (``~/.local/share``)
=========================  ==============================================================

Each function reads its variable when called, so that a test or a launcher may set it first.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BASEMAP_ENV",
    "CHROMIUM_ENV",
    "DATABASE_ENV",
    "DEFAULT_TIMEZONE",
    "TIMEZONE_ENV",
    "ZONE_ENV",
    "basemap_setting",
    "chromium_setting",
    "database_url_setting",
    "timezone_setting",
    "user_data_folder",
    "zone_setting",
]

ZONE_ENV = "EIT_GEO_ZONE"
DATABASE_ENV = "EIT_GEO_DATABASE_URL"
CHROMIUM_ENV = "EIT_GEO_CHROMIUM"
TIMEZONE_ENV = "EIT_GEO_TIMEZONE"
BASEMAP_ENV = "EIT_GEO_BASEMAP"
DEFAULT_TIMEZONE = "Europe/Paris"


def _value(name: str) -> str | None:
    """Return the variable's value without surrounding spaces, or None when unset or blank."""
    value = os.environ.get(name, "").strip()
    return value or None


def zone_setting() -> str | None:
    """Return the zone the dashboard opens (``EIT_GEO_ZONE``), or None for the default example."""
    return _value(ZONE_ENV)


def database_url_setting() -> str | None:
    """Return the decision store's URL (``EIT_GEO_DATABASE_URL``), or None for the default file."""
    return _value(DATABASE_ENV)


def chromium_setting() -> str | None:
    """Return the Chromium executable set by ``EIT_GEO_CHROMIUM``, or None to search ``PATH``."""
    return _value(CHROMIUM_ENV)


def basemap_setting() -> str | None:
    """Return the MBTiles file set by ``EIT_GEO_BASEMAP`` (``eit-geo app --basemap``), or None."""
    return _value(BASEMAP_ENV)


def timezone_setting() -> str:
    """Return the time zone of the dates shown (``EIT_GEO_TIMEZONE``, else Europe/Paris)."""
    return _value(TIMEZONE_ENV) or DEFAULT_TIMEZONE


def user_data_folder() -> Path:
    """Return the user data folder: ``$XDG_DATA_HOME``, else ``~/.local/share``."""
    configured = _value("XDG_DATA_HOME")
    return Path(configured) if configured else Path.home() / ".local" / "share"
