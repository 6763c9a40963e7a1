"""Translations: every user-facing text, French first, English second, from ``data/i18n``."""

from __future__ import annotations

import tomllib
from functools import cache

from eit_geo.datafiles import data_path

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "t", "translations"]

LANGUAGES: tuple[str, ...] = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@cache
def translations() -> dict[str, dict[str, str]]:
    """Return every text as ``{"area.key": {"fr": ..., "en": ...}}``.

    Each ``data/i18n/<area>.toml`` file holds entries ``key = { fr = "…", en = "…" }``.
    """
    texts: dict[str, dict[str, str]] = {}
    for path in sorted(data_path("i18n").glob("*.toml")):
        with path.open("rb") as handle:
            entries = tomllib.load(handle)
        for key, value in entries.items():
            texts[f"{path.stem}.{key}"] = value
    return texts


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """Return the text of ``key`` in ``lang`` (French when missing), formatted with ``values``.

    An unknown key comes back as the key itself, so that a missing text is visible, not fatal.
    """
    entry = translations().get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry.get(DEFAULT_LANGUAGE) or key
    return text.format(**values) if values else text
