"""Merge the company rows of every imported table into one list, and find the companies named."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from eit_geo.codes import fold_text
from eit_geo.datafiles import read_table
from eit_geo.siret import read_siret

__all__ = ["Conflict", "Merged", "fold_name", "merge_companies"]

_ATTRIBUTES = ("name", "siret", "sector", "activity", "employees", "address", "postcode", "commune")
_SAME_PLACE_DEG = 0.001  # about 100 m: closer positions of one company are not a conflict


@dataclass(frozen=True)
class Conflict:
    """A company whose rows disagree on one attribute (the first value is kept)."""

    company: str
    field: str
    values: tuple[str, ...]
    files: tuple[str, ...]


@dataclass
class Merged:
    """The companies of an import, one row each, and how rows and names lead to them.

    Attributes
    ----------
    companies : one row per company: ``id``, the attributes, ``lat``, ``lon``,
        ``position_status``, ``documents`` (the files it was found in, `` ; ``-joined)
    keys : each company row's ``key`` → the company's ``id``
    conflicts : attributes on which a company's rows disagree
    renamed : ``(file, id as written, id given)`` for ids taken by two different companies
    """

    companies: pd.DataFrame
    keys: dict[str, str]
    conflicts: list[Conflict] = field(default_factory=list)
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    _by_document_id: dict[tuple[str, str], str] = field(default_factory=dict)
    _by_siret: dict[str, str] = field(default_factory=dict)
    _by_id: dict[str, set[str]] = field(default_factory=dict)
    _by_name: dict[str, set[str]] = field(default_factory=dict)
    _documents: dict[str, set[str]] = field(default_factory=dict)

    def find(
        self, text: str, document: str = "", overrides: Mapping[str, str] | None = None
    ) -> str | None:
        """Return the id of the company ``text`` names (id, SIRET or name), or None.

        ``overrides`` (from the mapping file) map a text to an id or a name first. A name or
        id shared by several companies is resolved in favour of the one of ``document``.
        """
        text = str(text).strip()
        if not text:
            return None
        if overrides and overrides.get(text):
            return self._lookup(overrides[text], document)
        return self._lookup(text, document)

    def add(self, name: str) -> str:
        """Add a company known only by the name a flow or exchange gives; return its id."""
        base = _slug(name) or "entreprise"
        used = set(self.companies["id"])
        unique, number = base, 2
        while unique in used:
            unique, number = f"{base}-{number}", number + 1
        row: dict[str, object] = dict.fromkeys(self.companies.columns, "")
        row.update(id=unique, name=name, lat=np.nan, lon=np.nan)
        self.companies.loc[len(self.companies)] = row
        self._by_name.setdefault(fold_name(name), set()).add(unique)
        self._by_id.setdefault(unique, set()).add(unique)
        return unique

    def _lookup(self, text: str, document: str) -> str | None:
        if (document, text) in self._by_document_id:
            return self._by_document_id[(document, text)]
        siret, status = read_siret(text)
        if status == "ok" and siret in self._by_siret:
            return self._by_siret[siret]
        for candidates in (self._by_id.get(text, set()), self._by_name.get(fold_name(text), set())):
            if len(candidates) == 1:
                return next(iter(candidates))
            local = {c for c in candidates if document in self._documents.get(c, set())}
            if len(local) == 1:
                return next(iter(local))
        return None


@cache
def _legal_forms() -> frozenset[str]:
    return frozenset(read_table("import/legal_forms.csv")["word"].map(fold_text))


def fold_name(name: str) -> str:
    """Fold a company name for comparison: case, accents, punctuation and legal form dropped."""
    words = re.split(r"[^a-z0-9/]+", fold_text(str(name)).replace("_", " "))
    kept = [w for w in words if w and w not in _legal_forms()]
    return " ".join(kept) or " ".join(w for w in words if w)


class _Groups:
    """Union-find over row numbers."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def root(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def join(self, items: list[int]) -> None:
        for other in items[1:]:
            self.parent[self.root(other)] = self.root(items[0])


def merge_companies(rows: pd.DataFrame) -> Merged:
    """Merge company rows that are the same establishment.

    Rows are one company when they share a SIRET, when they share an id within one file, or
    when they share a name (legal form aside) and no two SIRETs tell them apart. The first
    value of each attribute is kept; the others are listed as conflicts. Each company keeps
    the id its rows give unless another company gives it too; then its SIRET, else a name
    slug, is its id.

    Parameters
    ----------
    rows
        Company rows (`eit_geo.import_shapes.COMPANY_ROW_COLUMNS`).

    Returns
    -------
    Merged
    """
    rows = rows.reset_index(drop=True)
    groups = _Groups(len(rows))
    for _, members in rows[rows["siret"] != ""].groupby("siret").groups.items():
        groups.join(list(members))
    for _, members in rows[rows["id"] != ""].groupby(["document", "id"]).groups.items():
        groups.join(list(members))
    _join_by_name(rows, rows["name"].map(fold_name), groups)
    roots = pd.Series([groups.root(i) for i in range(len(rows))], index=rows.index)
    parts = [rows[roots == root] for root in dict.fromkeys(roots)]
    records, disagreements = zip(*(_company(members) for members in parts), strict=True)
    companies = pd.DataFrame(list(records))
    merged = Merged(companies, {})
    ids = _assign_ids(companies, parts, merged)
    companies.insert(0, "id", ids)
    merged.companies = companies.drop(columns=["given_ids"])
    for company, members, found in zip(ids, parts, disagreements, strict=True):
        merged.conflicts += [Conflict(company, *item) for item in found]
        _index(merged, company, members)
    return merged


def _index(merged: Merged, company: str, members: pd.DataFrame) -> None:
    """Record how the rows of ``company`` and their ids, SIRETs and names lead to it."""
    for row in members.itertuples(index=False):
        merged.keys[row.key] = company
        if row.id:
            merged._by_document_id[(row.document, row.id)] = company
            merged._by_id.setdefault(row.id, set()).add(company)
        if row.siret:
            merged._by_siret[row.siret] = company
        if row.name:
            merged._by_name.setdefault(fold_name(row.name), set()).add(company)
        merged._documents.setdefault(company, set()).add(row.document)
    merged._by_id.setdefault(company, set()).add(company)


def _join_by_name(rows: pd.DataFrame, names: pd.Series, groups: _Groups) -> None:
    """Join the groups sharing a name, unless two different SIRETs tell them apart."""
    by_name: dict[str, list[int]] = defaultdict(list)
    for position, name in names.items():
        if name:
            by_name[name].append(int(position))
    for positions in by_name.values():
        sirets: dict[int, set[str]] = defaultdict(set)
        for position in positions:
            if rows.at[position, "siret"]:
                sirets[groups.root(position)].add(rows.at[position, "siret"])
        roots = list(dict.fromkeys(groups.root(p) for p in positions))
        distinct = set().union(*sirets.values()) if sirets else set()
        if len(distinct) <= 1:
            groups.join(roots)


def _company(members: pd.DataFrame) -> tuple[dict[str, object], list[tuple[object, ...]]]:
    """One company from its rows: the first value of each attribute, and the disagreements."""
    record: dict[str, object] = {}
    found: list[tuple[object, ...]] = []
    for name in _ATTRIBUTES:
        values = [str(v) for v in members[name] if str(v).strip()]
        record[name] = values[0] if values else ""
        distinct = list(dict.fromkeys(values))
        if len({fold_name(v) for v in distinct}) > 1:
            files = members.loc[members[name].isin(distinct), "file"].drop_duplicates()
            found.append((name, tuple(distinct), tuple(files)))
    placed = members[members["lat"].notna() & members["lon"].notna()]
    record["lat"] = float(placed["lat"].iloc[0]) if not placed.empty else np.nan
    record["lon"] = float(placed["lon"].iloc[0]) if not placed.empty else np.nan
    if not placed.empty and (
        (placed["lat"] - record["lat"]).abs().max() > _SAME_PLACE_DEG
        or (placed["lon"] - record["lon"]).abs().max() > _SAME_PLACE_DEG
    ):
        pairs = zip(placed["lat"], placed["lon"], strict=True)
        values = tuple(dict.fromkeys(f"{lat:.5f}, {lon:.5f}" for lat, lon in pairs))
        found.append(("position", values, tuple(placed["file"].drop_duplicates())))
    statuses = [s for s in members["position_status"] if s]
    record["position_status"] = statuses[0] if statuses else ""
    record["given_ids"] = list(dict.fromkeys(v for v in members["id"] if v))
    record["files"] = " ; ".join(dict.fromkeys(members["file"]))
    spoiled = members.loc[members["siret_status"] == "spoiled", "siret_written"]
    record["spoiled_siret"] = spoiled.iloc[0] if not spoiled.empty else ""
    return record, found


def _assign_ids(companies: pd.DataFrame, parts: list[pd.DataFrame], merged: Merged) -> list[str]:
    """Give each company an id: its own if no other company gives it, else SIRET or name."""
    claims: dict[str, int] = defaultdict(int)
    for given in companies["given_ids"]:
        for value in given:
            claims[value] += 1
    ids: list[str] = []
    used: set[str] = set()
    for position, given in enumerate(companies["given_ids"]):
        own = [value for value in given if claims[value] == 1]
        siret = str(companies.at[position, "siret"])
        candidate = (own[0] if len(own) == 1 and len(given) == 1 else "") or siret
        candidate = candidate or _slug(str(companies.at[position, "name"])) or "entreprise"
        unique, number = candidate, 2
        while unique in used:
            unique, number = f"{candidate}-{number}", number + 1
        used.add(unique)
        ids.append(unique)
        for row in parts[position].itertuples(index=False):
            if row.id and row.id != unique:
                merged.renamed.append((row.file, row.id, unique))
    merged.renamed = list(dict.fromkeys(merged.renamed))
    return ids


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold_text(name).replace("_", " ")).strip("-")
