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
_Disagreement = tuple[str, tuple[str, ...], tuple[str, ...]]  # field, values, files


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
        self.companies.loc[len(self.companies)] = pd.Series(row)
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
    folded = _folded(rows["name"])
    _join_by_name(rows, folded, groups)
    group = pd.Series(
        pd.factorize(np.array([groups.root(i) for i in range(len(rows))]))[0], index=rows.index
    )
    companies, found = _companies(rows, group)
    merged = Merged(companies, {})
    ids = _assign_ids(companies, rows, group, merged)
    companies.insert(0, "id", ids)
    merged.companies = companies.drop(columns=["given_ids"])
    merged.conflicts = [Conflict(ids[g], *item) for g, item in found]
    _index(merged, rows, group.map(dict(enumerate(ids))), folded)
    return merged


def _folded(names: pd.Series) -> pd.Series:
    unique = {name: fold_name(name) for name in names.unique()}
    return names.map(unique)


def _index(merged: Merged, rows: pd.DataFrame, ids: pd.Series, folded: pd.Series) -> None:
    """Record how each row, and its id, SIRET and name, lead to its company."""
    merged.keys.update(zip(rows["key"], ids, strict=True))
    columns = {"document": rows["document"], "id": rows["id"], "siret": rows["siret"]}
    distinct = pd.DataFrame({**columns, "name": folded, "company": ids}).drop_duplicates()
    for document, given, siret, name, company in distinct.itertuples(index=False):
        if given:
            merged._by_document_id[(document, given)] = company
            merged._by_id.setdefault(given, set()).add(company)
        if siret:
            merged._by_siret[siret] = company
        if name:
            merged._by_name.setdefault(name, set()).add(company)
        merged._documents.setdefault(company, set()).add(document)
    for company in ids.unique():
        merged._by_id.setdefault(company, set()).add(company)


def _join_by_name(rows: pd.DataFrame, names: pd.Series, groups: _Groups) -> None:
    """Join the groups sharing a name, unless two different SIRETs tell them apart."""
    by_name: dict[str, list[int]] = defaultdict(list)
    sirets = rows["siret"].tolist()
    for position, name in enumerate(names):
        if name:
            by_name[name].append(position)
    for positions in by_name.values():
        if len(positions) < 2:  # noqa: PLR2004
            continue
        distinct = {sirets[p] for p in positions if sirets[p]}
        if len(distinct) <= 1:
            groups.join(positions)


def _companies(
    rows: pd.DataFrame, group: pd.Series
) -> tuple[pd.DataFrame, list[tuple[int, _Disagreement]]]:
    """One row per group: the first value of each attribute; and where its rows disagree."""
    text = rows[list(_ATTRIBUTES)].astype(str).apply(lambda column: column.str.strip())
    grouped = text.where(text != "").groupby(group, sort=True)
    companies = grouped.first().fillna("").reset_index(drop=True)
    found: list[tuple[int, _Disagreement]] = []
    for name in _ATTRIBUTES:
        folded = _folded(text[name]).where(text[name] != "")
        split = folded.groupby(group, sort=True).nunique()
        for number in split[split > 1].index:
            members = rows[group == number]
            values = tuple(dict.fromkeys(v.strip() for v in members[name] if str(v).strip()))
            files = tuple(members.loc[members[name].str.strip().isin(values), "file"].unique())
            found.append((int(number), (name, values, files)))
    placed = rows[["lat", "lon"]].astype(float).where(rows["lat"].notna() & rows["lon"].notna())
    first = placed.groupby(group, sort=True).first().reset_index(drop=True)
    companies["lat"], companies["lon"] = first["lat"], first["lon"]
    spread = (placed - first.loc[group.to_numpy()].set_axis(placed.index)).abs().max(axis=1)
    for number in sorted(set(group[spread > _SAME_PLACE_DEG])):
        members = placed[group == number].dropna()
        values = tuple(dict.fromkeys(f"{r.lat:.5f}, {r.lon:.5f}" for r in members.itertuples()))
        files = tuple(rows.loc[members.index, "file"].unique())
        found.append((int(number), ("position", values, files)))
    status = rows["position_status"].where(rows["position_status"] != "")
    companies["position_status"] = (
        status.groupby(group, sort=True).first().reindex(companies.index).fillna("").to_numpy()
    )
    given_ids = _distinct_per_group(rows["id"].where(rows["id"] != ""), group, len(companies))
    companies["given_ids"] = given_ids
    per_company = _distinct_per_group(rows["file"], group, len(companies))
    companies["files"] = [" ; ".join(names) for names in per_company]
    spoiled = rows["siret_written"].where(rows["siret_status"] == "spoiled")
    companies["spoiled_siret"] = (
        spoiled.groupby(group, sort=True).first().reindex(companies.index).fillna("").to_numpy()
    )
    return companies, found


def _distinct_per_group(values: pd.Series, group: pd.Series, count: int) -> list[list[str]]:
    """Return, for each of ``count`` groups, its distinct values (missing left out), in order."""
    pairs = pd.DataFrame({"group": group, "value": values}).dropna().drop_duplicates()
    found: list[list[str]] = [[] for _ in range(count)]
    for number, value in zip(pairs["group"].tolist(), pairs["value"].tolist(), strict=True):
        found[number].append(value)
    return found


def _assign_ids(
    companies: pd.DataFrame, rows: pd.DataFrame, group: pd.Series, merged: Merged
) -> list[str]:
    """Give each company an id: its own if no other company gives it, else SIRET or name."""
    claims: dict[str, int] = defaultdict(int)
    for given in companies["given_ids"]:
        for value in given:
            claims[value] += 1
    ids: list[str] = []
    used: set[str] = set()
    for given, siret, name in zip(
        companies["given_ids"], companies["siret"], companies["name"], strict=True
    ):
        own = [value for value in given if claims[value] == 1]
        candidate = (own[0] if len(own) == 1 and len(given) == 1 else "") or str(siret)
        candidate = candidate or _slug(str(name)) or "entreprise"
        unique, number = candidate, 2
        while unique in used:
            unique, number = f"{candidate}-{number}", number + 1
        used.add(unique)
        ids.append(unique)
    final = group.map(dict(enumerate(ids)))
    changed = (rows["id"] != "") & (rows["id"] != final)
    merged.renamed = list(
        dict.fromkeys(
            zip(rows.loc[changed, "file"], rows.loc[changed, "id"], final[changed], strict=True)
        )
    )
    return ids


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold_text(name).replace("_", " ")).strip("-")
