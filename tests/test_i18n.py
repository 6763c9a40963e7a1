"""Translations: every text in French and English, with the same placeholders."""

from __future__ import annotations

import string

import pytest

from eit_geo.i18n import LANGUAGES, t, translations


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(translations()))
def test_every_text_has_both_languages_and_the_same_placeholders(key: str) -> None:
    entry = translations()[key]
    assert set(entry) >= set(LANGUAGES), f"{key} lacks {set(LANGUAGES) - set(entry)}"
    assert all(entry[lang].strip() for lang in LANGUAGES), key
    assert _fields(entry["fr"]) == _fields(entry["en"]), key


def test_lookup_formats_and_falls_back() -> None:
    assert t("validation.duplicate_id", "fr", first=3) == "identifiant en double (déjà ligne 3)"
    assert t("validation.duplicate_id", "en", first=3) == "duplicate id (already on row 3)"
    assert t("validation.duplicate_id", "de", first=3) == "identifiant en double (déjà ligne 3)"
    assert t("no.such.key") == "no.such.key"
