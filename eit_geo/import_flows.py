"""Attach an import's flows and exchanges to companies, code their resources, read quantities.

Each distinct text (a company named, a direction, a resource, a quantity as written) is worked
out once: by the mapping file's decision, else recognised, else left to decide in the mapping.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pandas as pd

from eit_geo.codes import canonical_alias, is_ewc_chapter, normalise_code
from eit_geo.distinct import map_distinct
from eit_geo.errors import Problem
from eit_geo.import_columns import read_direction
from eit_geo.import_merge import Merged, merge_companies
from eit_geo.import_numbers import read_commas
from eit_geo.import_plan import ImportReport, ImportWork, tr
from eit_geo.import_report import confidence_text, suggestion_text
from eit_geo.quantities import parse_quantities
from eit_geo.resources_resolve import AUTO_CONFIDENCE, Resolution, resolve_resources

if TYPE_CHECKING:
    from eit_geo.import_mapping import Mapping

__all__ = [
    "COMPANY_FIELDS",
    "attach_flows",
    "attach_synergies",
    "code_resources",
    "convert_quantities",
    "merge_rows",
]

COMPANY_FIELDS = (
    "id", "name", "siret", "sector", "activity", "employees", "address", "postcode", "commune",
)  # fmt: skip
"""A company's fields in an import, its id first."""


def merge_rows(rows: pd.DataFrame, report: ImportReport) -> Merged:
    """Merge the rows naming companies into one company each; note conflicts and SIRETs."""
    if rows.empty:
        rows = pd.DataFrame(columns=rows.columns)
    merged = merge_companies(rows) if not rows.empty else _no_companies()
    report.conflicts = merged.conflicts
    report.renamed = merged.renamed
    spoiled = merged.companies[merged.companies.get("spoiled_siret", "") != ""]
    report.spoiled_sirets = [
        (str(r.files).split(" ; ")[0], str(r.name), str(r.spoiled_siret))
        for r in spoiled.itertuples()
    ]
    return merged


def _no_companies() -> Merged:
    columns = [
        "id",
        *COMPANY_FIELDS[1:],
        "lat",
        "lon",
        "position_status",
        "files",
        "spoiled_siret",
    ]
    return Merged(pd.DataFrame(columns=columns), {})


def _company_of(text: str, document: str, work: ImportWork) -> str:
    """Return the id of the company a flow or exchange names; a new one, to locate, if none."""
    found = work.merged.find(text, document, work.mapping.companies)
    if found is not None:
        if work.mapping.companies.get(text):
            work.notes.comments[("companies", text)] = found
        return found
    created = work.merged.add(text)
    work.pending("companies", text, tr("mapping_company_created", work.report.lang, id=created))
    work.report.companies_created.append((text, created))
    return created


def _direction(text: str, mapping: Mapping) -> str | None:
    chosen = mapping.directions.get(text)
    if chosen:
        return read_direction(chosen)
    return read_direction(text)


def attach_flows(rows: pd.DataFrame, work: ImportWork) -> pd.DataFrame:
    """Give each flow its company id and direction; list those without a direction."""
    if rows.empty:
        return rows.assign(company_id="")
    flows = rows.copy()
    keyed = flows["company_key"] != ""
    ids = flows["company_key"].map(work.merged.keys).where(keyed, "")
    named = flows.loc[~keyed & (flows["company"] != ""), ["company", "document"]]
    found = {  # each company named by text alone worked out once, in the order of the rows
        (company, document): _company_of(company, document, work)
        for company, document in named.drop_duplicates().itertuples(index=False)
    }
    pairs = zip(named["company"], named["document"], strict=True)
    ids.loc[named.index] = pd.Series([found[pair] for pair in pairs], index=named.index)
    flows["company_id"] = ids.fillna("").astype(str)
    work.report.unattached = int((flows["company_id"] == "").sum())
    directions = map_distinct(flows["direction"], lambda text: _direction(text, work.mapping))
    unknown = directions.isna()
    for word, count in Counter(flows.loc[unknown, "direction"]).items():
        work.report.unknown_directions.append((word, count))
        work.pending(
            "directions", word, tr("mapping_direction_pending", work.report.lang, count=count)
        )
    flows["direction"] = directions
    return flows[~unknown & (flows["company_id"] != "")].reset_index(drop=True)


def attach_synergies(rows: pd.DataFrame, work: ImportWork) -> pd.DataFrame:
    """Give each exchange the ids of its two companies (named by id, SIRET or name)."""
    if rows.empty:
        return rows
    synergies = rows.copy()
    for column in ("from_id", "to_id"):
        synergies[column] = [
            _company_of(text, document, work) if text else ""
            for text, document in zip(synergies[column], synergies["document"], strict=True)
        ]
    keep = (synergies["from_id"] != "") & (synergies["to_id"] != "")
    keep &= synergies["from_id"] != synergies["to_id"]
    return synergies[keep].reset_index(drop=True)


def code_resources(tables: list[pd.DataFrame], work: ImportWork) -> None:
    """Code each flow's resource: a code given, the mapping's choice, or the resolver's.

    The text coded is the resource column's (« boues de STEP »), else the label's; when both
    are written and only the label is known (« Déchets » beside « sciure de hêtre »), the label.
    """
    candidates: set[str] = set()
    for table in tables:
        if table.empty:
            table["code"] = pd.Series(dtype=object)
            continue
        table["code"] = map_distinct(table["resource"], normalise_code)
        free = table["code"].isna()
        work.report.coded_given += int((~free).sum())
        candidates.update(table.loc[free, "resource"])
        candidates.update(table.loc[free, "label"])
    candidates.discard("")
    resolutions = resolve_resources(list(candidates))  # the mapping's too: an auto code is auto

    def known(text: str) -> bool:
        if work.mapping.resources.get(text):
            return True
        resolution = resolutions.get(text)
        if resolution is None or not resolution.code:
            return False
        return resolution.confidence >= AUTO_CONFIDENCE

    texts: Counter[str] = Counter()
    for table in tables:
        if table.empty:
            continue
        resource, label = table["resource"], table["label"]
        first = resource.where(resource != "", label)
        other = (label != "") & (label != first)
        rather = other & ~map_distinct(first.where(other, ""), known) & map_distinct(label, known)
        table["resolve_text"] = first.where(~rather, label)
        texts.update(table.loc[table["code"].isna(), "resolve_text"])
    texts.pop("", None)
    codes = {
        text: _code_of(text, count, resolutions.get(text), work) for text, count in texts.items()
    }
    for table in tables:
        if table.empty:
            continue
        free = table["code"].isna()
        table.loc[free, "code"] = table.loc[free, "resolve_text"].map(codes)
        table["code"] = table["code"].fillna("")
        if "direction" in table:  # an offer of a whole EWC chapter cannot be exchanged
            chapter = map_distinct(table["code"], lambda code: bool(code) and is_ewc_chapter(code))
            table.loc[chapter & (table["direction"] == "output"), "code"] = ""


def _code_of(text: str, count: int, resolution: Resolution | None, work: ImportWork) -> str | None:
    """Return the code of a free text (the mapping's, else the resolver's if sure), or None.

    A mapping's code that the resolver gives by itself (the mapping file an earlier import
    wrote, passed back) is counted as coded automatically; any other as the user's choice. A
    text the mapping leaves empty stays « à coder ».
    """
    lang, report = work.report.lang, work.report
    chosen = work.mapping.resources.get(text)  # None: not in the mapping; "": left to code
    sure = resolution is not None and resolution.code and resolution.confidence >= AUTO_CONFIDENCE
    auto = str(resolution.code) if sure and resolution is not None else None
    code = normalise_code(chosen) if chosen else None
    if chosen and code is None:
        message = tr("mapping_bad_code", lang, text=text)
        report.problems.append(Problem("mapping", None, "resources", chosen, message, lang))
    elif code is not None and code != auto:
        report.coded_by_mapping += count
        return code
    elif auto is not None and (chosen is None or code == auto):
        assert resolution is not None  # noqa: S101 - for type checkers, checked by `sure`
        report.coded_auto.append((text, auto, resolution.confidence, count))
        work.mapping.resources[text] = auto
        confidence = confidence_text(resolution.confidence, lang)
        method = tr(f"method_{resolution.method}", lang)
        work.notes.comments[("resources", text)] = tr(
            "mapping_resource_auto", lang, method=method, confidence=confidence
        )
        return auto
    suggestions = resolution.suggestions if resolution is not None else ()
    report.to_code.append((text, suggestions, count))
    shown = suggestion_text(suggestions, lang)
    work.pending(
        "resources", text, tr("mapping_resource_pending", lang, count=count, suggestions=shown)
    )
    work.mapping.resources[text] = chosen or ""
    return None


def _quantity_key(quantity: str, unit: str) -> str:
    """Return how the mapping file names a quantity as written: ``quantity | unit``."""
    return f"{quantity} | {unit}" if unit else quantity


def convert_quantities(table: pd.DataFrame, work: ImportWork) -> None:
    """Read each quantity as a yearly t, m³ or MWh, with its status and the note of how.

    A quantity the mapping file rewrites is read as rewritten; each distinct writing (with its
    unit and resource) is read once (`quantities.parse_quantities`); what is not read as given
    is left to decide in the mapping.
    """
    if table.empty:
        for column in ("value", "canonical_unit", "status", "written"):
            table[column] = pd.Series(dtype=object)
        return
    quantity, unit = table["quantity"].astype(str), table["unit"].astype(str)
    written = (quantity + " | " + unit).where(unit != "", quantity)
    given = quantity != ""
    chosen = work.mapping.quantities
    replacement = map_distinct(written, lambda text: chosen.get(text, "")).where(given, "")
    replaced = replacement != ""
    commas = read_commas(quantity, table["file"])
    source = pd.DataFrame(
        {
            "quantity": commas.quantity.where(~replaced, replacement),
            "unit": unit.where(~replaced, ""),
            "resource": table["code"],
        },
        index=table.index,
    )
    parsed = parse_quantities(source, lang=work.report.lang)
    stated = map_distinct(
        table["quantity_status"],
        lambda text: canonical_alias("quantity_status", text) if text else None,
    )
    lang = work.report.lang
    guessed = (stated == "estimate") | (commas.ambiguous & ~replaced)
    status = parsed["status"].where(~(guessed & parsed["value"].notna()), "estimate")
    note = parsed["note"].fillna("").astype(str)
    for rows, key in ((commas.thousands, "comma_thousands"), (commas.ambiguous, "comma_decimal")):
        said = rows & ~replaced & parsed["value"].notna()
        if said.any():
            note[said] = (note[said] + "; ").where(note[said] != "", "") + tr(key, lang)
    pending = given & (status != "published") & ~replaced
    comments = pd.DataFrame({"key": written, "comment": note.where(note != "", status)})
    for key, comment in comments[pending].drop_duplicates().itertuples(index=False):
        work.pending("quantities", key, comment)
    table["value"] = parsed["value"]
    table["canonical_unit"] = parsed["unit"].fillna("").astype(str)
    table["status"] = status
    table["written"] = written
    for value, count in zip(*_counts(status), strict=True):
        work.report.quantity_statuses[str(value)] += count
    noted = pd.DataFrame({"key": written, "note": note})[given & (note != "")]
    counts = noted.groupby(["key", "note"], sort=False).size()
    pairs: list[tuple[str, str]] = counts.index.tolist()
    work.report.conversions += [
        (key, text, int(count)) for (key, text), count in zip(pairs, counts.tolist(), strict=True)
    ]


def _counts(values: pd.Series) -> tuple[list[object], list[int]]:
    """Return the distinct values of a column and how many times each occurs."""
    counts = values.value_counts(sort=False)
    return counts.index.tolist(), [int(count) for count in counts.tolist()]
