"""Locate the data files shipped with eit-geo (vocabulary, tables, examples, translations)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

__all__ = ["data_dir", "data_path", "example_names", "example_path", "read_table", "read_values"]

_PACKAGE_DIR = Path(__file__).resolve().parent


@cache
def data_dir() -> Path:
    """Return the folder holding the data files.

    An installed wheel carries them as ``eit_geo/data``; a source checkout (editable install)
    keeps them in the repository's top-level ``data/`` folder.
    """
    for candidate in (_PACKAGE_DIR / "data", _PACKAGE_DIR.parent / "data"):
        if (candidate / "resources.csv").is_file():
            return candidate
    msg = f"eit-geo data folder not found next to {_PACKAGE_DIR}"
    raise FileNotFoundError(msg)


def data_path(*parts: str) -> Path:
    """Return the path of a data file, e.g. ``data_path("substitutions.csv")``."""
    return data_dir().joinpath(*parts)


def example_names() -> list[str]:
    """Return the names of the example zones shipped with eit-geo."""
    folder = data_path("examples")
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def example_path(name: str) -> Path:
    """Return the folder of an example zone.

    Raises
    ------
    ValueError
        If no example has that name; the message lists the valid names.
    """
    names = example_names()
    if name not in names:
        msg = f"unknown example zone {name!r}; available: {', '.join(names)}"
        raise ValueError(msg)
    return data_path("examples", name)


@cache
def read_table(name: str) -> pd.DataFrame:
    """Read a shipped CSV table (UTF-8, comma-separated) by file name, cached.

    Callers must not modify the returned frame: copy it first.
    """
    return pd.read_csv(data_path(name), dtype=str, keep_default_na=False, encoding="utf-8")


def read_values(name: str) -> dict[str, float]:
    """Read a shipped ``key,value,…`` table of numeric settings, e.g. ``scoring.csv``.

    Parameters
    ----------
    name
        File name under the data folder.

    Returns
    -------
    dict[str, float]
        Each row's ``value`` as a float, by ``key``.
    """
    table = read_table(name)
    return dict(zip(table["key"], table["value"].astype(float), strict=True))
