"""Resource codes: core codes, EWC waste codes and chapters, families, aliases and labels."""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pandas as pd

from eit_geo.datafiles import read_table

__all__ = [
    "FAMILIES",
    "UNITS",
    "canonical_alias",
    "default_max_km",
    "ewc_label",
    "ewc_parents",
    "ewc_table",
    "family_default_max_km",
    "family_of",
    "fold_text",
    "is_ewc_chapter",
    "is_ewc_code",
    "normalise_code",
    "resource_label",
    "resource_table",
    "substitution_table",
    "unicode_bare",
]

FAMILIES: tuple[str, ...] = ("energy", "water", "gas", "material")
UNITS: tuple[str, ...] = ("t/yr", "m3/yr", "MWh/yr")

_LAST_MARK = 0x1F000  # no combining mark lies beyond (Unicode 15: the last is U+1E94A)
_EWC_DIGITS = re.compile(r"^(\d{2})(\d{2})?(\d{2})?(\*?)$")


def fold_text(text: str) -> str:
    """Fold a header or value for lenient matching: lower case, no accents, ``_`` for blanks."""
    text = text.replace("³", "3").replace("\ufeff", "").strip().lower()
    bare = text if text.isascii() else unicode_bare(text)
    bare = re.sub(r"\s*/\s*", "/", bare)  # "t / an" is "t/an"
    return re.sub(r"[\s\-]+", "_", bare)


def unicode_bare(text: str) -> str:
    """Return a text decomposed (NFKD) without its combining marks: « Aciérie » → « Acierie »."""
    return unicodedata.normalize("NFKD", text).translate(_combining_marks())


@cache
def _combining_marks() -> dict[int, None]:
    """Map every combining mark to nothing (all lie below U+1F000), for `str.translate`."""
    return dict.fromkeys(c for c in range(_LAST_MARK) if unicodedata.combining(chr(c)))


@cache
def _aliases(kind: str) -> dict[str, str]:
    table = read_table("aliases.csv")
    rows = table[table["kind"] == kind]
    return dict(zip(rows["alias"].map(fold_text), rows["canonical"], strict=True))


def canonical_alias(kind: str, value: str) -> str | None:
    """Return the canonical form of a column name, direction, unit or table name, or None.

    ``kind`` is one of ``column``, ``direction``, ``unit``, ``table`` (see ``data/aliases.csv``).
    A column name that is already canonical is returned folded; a unit written after a column
    name, as in ``quantité (t/an)``, is ignored.
    """
    folded = fold_text(value)
    if kind == "column":
        folded = re.sub(r"_?[(\[].*[)\]]$", "", folded) or folded
    return _aliases(kind).get(folded, folded if kind == "column" else None)


@cache
def resource_table() -> pd.DataFrame:
    """Return ``data/resources.csv`` indexed by code (do not modify)."""
    return read_table("resources.csv").set_index("code")


@cache
def ewc_table() -> pd.DataFrame:
    """Return the European List of Waste (``data/ewc.csv``) indexed by code (do not modify).

    Every chapter (``10``), sub-chapter (``10 01``) and six-digit entry (``10 01 02``, written
    without its ``*``), with ``hazardous`` (``yes``/``no`` for entries), ``level``,
    ``label_fr`` and ``label_en``.
    """
    return read_table("ewc.csv").set_index("code")


@cache
def _hazardous() -> frozenset[str]:
    table = ewc_table()
    return frozenset(table.index[table["hazardous"] == "yes"])


@cache
def _families() -> pd.DataFrame:
    return read_table("families.csv").set_index("family")


@cache
def substitution_table() -> pd.DataFrame:
    """Return the substitution table with canonical codes (columns ``output``, ``input``, …)."""
    table = read_table("substitutions.csv").copy()
    table["output"] = table["output"].map(normalise_code)
    table["input"] = table["input"].map(normalise_code)
    return table.dropna(subset=["output", "input"]).reset_index(drop=True)


def normalise_code(raw: object) -> str | None:
    """Return the canonical form of a resource code, or None if it is not a known code.

    Core codes are lower case (``steam``); EWC codes are six digits in pairs with an optional
    ``*`` (``10 01 02``, ``16 01 07*``); EWC chapters are ``10`` and sub-chapters ``10 01``.
    An odd number of digits gets back the leading zero a spreadsheet drops (``20204`` is
    ``02 02 04``). A six-digit code must be in the European List of Waste (``data/ewc.csv``) and
    gets the ``*`` of the list: ``13 02 05`` is ``13 02 05*`` (hazardous), a ``*`` on a
    non-hazardous entry is dropped. French names of core codes are accepted (``vapeur``,
    ``Eaux usées traitées``, ``gypse``: ``data/aliases.csv``).
    """
    if raw is None or (isinstance(raw, float) and pd.isna(raw)):
        return None
    text = str(raw).strip()
    if not text:
        return None
    compact = re.sub(r"[\s.\-]", "", text)
    if re.fullmatch(r"(\d|\d{3}|\d{5})\*?", text):  # a number, without its leading zero
        compact = "0" + compact
    match = _EWC_DIGITS.match(compact)
    if match:
        chapter, sub, item, star = match.groups()
        if item is None and star:
            return None
        code = " ".join(p for p in (chapter, sub, item) if p)
        if code not in ewc_table().index:
            return None
        return code + "*" if code in _hazardous() else code
    folded = fold_text(text)
    folded = _aliases("resource").get(folded, folded)
    return folded if folded in resource_table().index else None


def is_ewc_code(code: str) -> bool:
    """Tell whether a canonical code is a full six-digit EWC waste code."""
    return bool(re.fullmatch(r"\d{2} \d{2} \d{2}\*?", code))


def is_ewc_chapter(code: str) -> bool:
    """Tell whether a canonical code names an EWC chapter (``10``) or sub-chapter (``10 01``)."""
    return bool(re.fullmatch(r"\d{2}( \d{2})?", code))


def ewc_parents(code: str) -> list[str]:
    """Return the sub-chapter and chapter a full EWC code belongs to (``['10 01', '10']``)."""
    if not is_ewc_code(code):
        return []
    return [code[:5], code[:2]]


def family_of(code: str) -> str:
    """Return the family of a canonical code: ``energy``, ``water``, ``gas`` or ``material``."""
    return _family_by_code().get(code, "material")


@cache
def _family_by_code() -> dict[str, str]:
    table = resource_table()
    return dict(zip(table.index, table["family"].astype(str), strict=True))


def default_max_km(code: str) -> float | None:
    """Return the default maximum exchange distance of a resource, in km (None: no limit).

    The resource's own row of ``data/resources.csv`` wins (an empty value there means no
    limit, as for electricity); other codes take their family's default (``data/families.csv``).
    """
    table = resource_table()
    if code in table.index:
        value = str(table.at[code, "default_max_km"])  # the shipped tables are read as text
        return float(value) if value != "" else None
    return family_default_max_km(family_of(code))


def family_default_max_km(family: str) -> float | None:
    """Return a family's default maximum exchange distance in km (None: no limit)."""
    value = str(_families().at[family, "default_max_km"])
    return float(value) if value != "" else None


def resource_label(code: str, lang: str = "fr") -> str:
    """Return a readable label for a code in ``fr`` or ``en`` (the code itself if unknown).

    Core codes and the EWC codes of ``data/resources.csv`` take their short label there; any
    other six-digit code reads ``10 01 99 — déchets non spécifiés ailleurs``, with the label of
    the European List of Waste (``data/ewc.csv``); a chapter or sub-chapter its own title.
    """
    column = f"label_{lang}" if lang in ("fr", "en") else "label_fr"
    resources = resource_table()
    if code in resources.index:
        return str(resources.at[code, column])
    label = ewc_label(code, lang)
    if label is None:
        return code
    return f"{code} — {label}" if is_ewc_code(code) else label


def ewc_label(code: str, lang: str = "fr") -> str | None:
    """Return the label of an EWC entry, sub-chapter or chapter in the list, or None.

    The all-capital French chapter titles of the official list are put in sentence case.
    """
    key = code.rstrip("*")
    table = ewc_table()
    if key not in table.index:
        return None
    column = f"label_{lang}" if lang in ("fr", "en") else "label_fr"
    return _sentence_case(str(table.at[key, column]))


def _sentence_case(label: str) -> str:
    """Lower the capitals of a shouted title, keeping acronyms in brackets (``(FFDU)``)."""
    words = label.split(" ")
    if sum(word.isupper() for word in words) < 2:  # noqa: PLR2004 - a title, not one acronym
        return label[:1].upper() + label[1:]
    kept = [
        word if re.fullmatch(r"\(\w{2,6}\)\W?", word) or not word.isupper() else word.lower()
        for word in words
    ]
    text = " ".join(kept)
    return text[:1].upper() + text[1:]
