"""Recognise what the columns and direction words of an inventory mean (``data/import``)."""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from eit_geo.codes import canonical_alias, fold_text
from eit_geo.datafiles import read_table

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COMPANY_FIELDS",
    "FIELDS",
    "FLOW_FIELDS",
    "direction_of_name",
    "header_signature",
    "header_unit",
    "read_direction",
    "recognise_columns",
    "recognise_table",
]

COMPANY_FIELDS: tuple[str, ...] = (
    "id", "siret", "name", "company", "sector", "activity", "employees", "address", "postcode",
    "commune", "lat", "lon", "latlon", "x", "y", "epsg", "position_status",
)  # fmt: skip
"""Fields that describe a company (``company`` names one by id, SIRET or name)."""

FLOW_FIELDS: tuple[str, ...] = (
    "direction", "resource", "label", "quantity", "unit", "quantity_status", "needs", "offers",
)  # fmt: skip
"""Fields that describe a flow (``needs`` and ``offers`` hold lists of them)."""

SYNERGY_FIELDS: tuple[str, ...] = ("from_id", "to_id", "since")

FIELDS: tuple[str, ...] = (*COMPANY_FIELDS, *FLOW_FIELDS, *SYNERGY_FIELDS)
"""Every field a column can be recognised as; ``""`` means the column is left aside."""

# Contract names (data/aliases.csv) that differ from the import field of the same meaning.
_CONTRACT_TO_FIELD = {"company_id": "company"}
_DIRECTION_SHARE = 0.9  # share of direction words that makes a column the direction
_DIRECTION_WORDS_AT_MOST = 12  # distinct values of a column that may be the direction
_SHORTEST_NAME_WORD = 4  # shorter words of a name (« in », « E ») are not read as a direction
# Characters of the longest text read as a header: a longer one names no column (and
# `_UNIT_IN_HEADER` would take a time growing with the square of its length on long blanks).
_LONGEST_HEADER = 200
_UNIT_IN_HEADER = re.compile(r"^(.*?)\s*[(\[]\s*([^()\[\]]+?)\s*[)\]]\s*$")


def _fold(header: str) -> str:
    folded = fold_text(header.replace("°", " ").replace("’", "'"))
    return re.sub(r"_+", "_", folded.replace(".", "_")).strip("_")


@cache
def _synonyms() -> dict[str, str]:
    table = read_table("import/columns.csv")
    pairs = zip(table["synonym"], table["field"], strict=True)
    return {_fold(synonym): field for synonym, field in pairs}


@cache
def _direction_words() -> dict[str, str]:
    table = read_table("import/directions.csv")
    pairs = zip(table["word"], table["direction"], strict=True)
    return {_fold(word): direction for word, direction in pairs}


def header_unit(header: str) -> str | None:
    """Return the unit a header gives in brackets (``Quantité (t/an)`` gives ``t/an``)."""
    if len(str(header)) > _LONGEST_HEADER:
        return None
    match = _UNIT_IN_HEADER.match(str(header))
    return match.group(2) if match else None


# Small words a header may add or leave out (« Nom de l'établissement » is « Nom établissement »),
# and words that only qualify it (« Quantité annuelle estimée », « Annual amount »).
_SMALL_WORDS = frozenset((
    "de", "du", "des", "d", "l", "la", "le", "les", "of", "the", "a", "per", "par",
    "annuel", "annuelle", "annuels", "annuelles", "annual", "yearly", "year", "an", "annee",
    "estime", "estimee", "estimated", "moyen", "moyenne", "average", "total", "totale",
))  # fmt: skip


def _loose(folded: str) -> str:
    """Return a folded header without its small words (``nom_de_l'etablissement``)."""
    words = re.split(r"[_']+", folded)
    return "_".join(word for word in words if word and word not in _SMALL_WORDS)


@cache
def _loose_synonyms() -> dict[str, str]:
    pairs = ((_loose(synonym), field) for synonym, field in _synonyms().items())
    return {loose: field for loose, field in pairs if loose}  # « année » alone stays exact


def _field_of(header: str) -> str:
    text = str(header)
    if len(text) > _LONGEST_HEADER:
        return ""
    match = _UNIT_IN_HEADER.match(text)
    candidates = [text, match.group(1)] if match else [text]
    for candidate in candidates:
        folded = _fold(candidate)
        field = _synonyms().get(folded) or _loose_synonyms().get(_loose(folded) or folded)
        if field:
            return field
    contract = canonical_alias("column", text) or ""
    contract = _CONTRACT_TO_FIELD.get(contract, contract)
    return contract if contract in FIELDS else ""


def recognise_columns(headers: Sequence[str]) -> dict[str, str]:
    """Recognise each header through the synonym table ``data/import/columns.csv``.

    Parameters
    ----------
    headers
        The headers as the file writes them.

    Returns
    -------
    dict
        ``{header: field}`` in the file's order, ``""`` for a header not recognised or whose
        field an earlier column already took.
    """
    taken: set[str] = set()
    fields: dict[str, str] = {}
    for header in headers:
        field = _field_of(header)
        if field in taken:
            field = ""
        taken.add(field)
        fields[str(header)] = field
    return fields


def recognise_table(frame: pd.DataFrame) -> dict[str, str]:
    """Recognise a table's columns by their headers, then its direction by its values.

    A table whose headers name no direction but one of whose columns holds direction words
    only (« Flux » with « Besoin » / « Rejet », « Type » with « Input » / « Output ») reads
    that column as the direction; the other headers are recognised again without it.
    """
    headers = [str(header) for header in frame.columns]
    fields = recognise_columns(headers)
    if "direction" in fields.values():
        return fields
    for position, header in enumerate(headers):
        if fields[header] not in ("", "label"):
            continue  # a name, a position, a quantity…: not the direction
        values = frame.iloc[:, position].astype(str).str.strip()
        distinct = values[values != ""].drop_duplicates()
        if distinct.empty or len(distinct) > _DIRECTION_WORDS_AT_MOST:
            continue
        if distinct.map(read_direction).notna().mean() >= _DIRECTION_SHARE:
            others = recognise_columns([h for h in headers if h != header])
            return {h: "direction" if h == header else others[h] for h in headers}
    return fields


def header_signature(headers: Sequence[str]) -> str:
    """Return a short digest of a table's headers, the same for every file of that kind."""
    folded = sorted({_fold(str(header)) for header in headers if str(header).strip()})
    return hashlib.sha1("\n".join(folded).encode(), usedforsecurity=False).hexdigest()[:10]


def direction_of_name(name: str) -> str | None:
    """Return the direction a sheet's or a file's name gives its flows, or None.

    « Ressources entrantes », « besoins.csv », « Sous-produits » name one direction; a name
    giving both (« Entrées et sorties ») or none gives None. Words of under four letters
    (« in », « E ») are not read, nor are plurals missed (« rejets » is « rejet »).
    """
    words = [w for w in re.split(r"[^a-z0-9]+", _fold(Path(name).stem).replace("_", " ")) if w]
    candidates = words + [f"{a}_{b}" for a, b in itertools.pairwise(words)]
    found = set()
    for word in candidates:
        if len(word) < _SHORTEST_NAME_WORD:
            continue
        for form in (word, word[:-1] if word.endswith("s") else word):
            direction = _direction_words().get(form)
            if direction is not None:
                found.add(direction)
    return found.pop() if len(found) == 1 else None


def read_direction(value: object) -> str | None:
    """Return ``input`` or ``output`` for a direction word (``Entrant``, ``Sortie``, ``need``)."""
    text = str(value).strip()
    if not text:
        return None
    known = canonical_alias("direction", text)
    if known is not None:
        return known
    return _direction_words().get(_fold(text))
