"""Write the short report of an import: what was recognised, converted and left to decide."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from eit_geo.formatting import format_count, format_decimal, semicolon
from eit_geo.i18n import t
from eit_geo.import_shapes import named_direction

if TYPE_CHECKING:
    from eit_geo.importing import ImportReport, PositionNote, TablePlan

__all__ = ["confidence_text", "framing_notes", "report_text", "suggestion_text"]

_SHOWN = 8  # items listed per topic before « … and N more »
_T = TypeVar("_T")


def report_text(
    report: ImportReport, *, out: Path | None = None, mapping_path: Path | None = None
) -> str:
    """Return the import report as plain lines in the report's language."""
    lang = report.lang
    lines = [_say("importing.report_sources", lang)]
    lines += [f"- {_zone_line(label, lang)}" for label in report.zones]
    for plans in _alike(report.tables, lambda p: (p.signature, p.shape, p.origin)).values():
        lines.append(f"- {_table_line(plans, lang)}")
    positions = [
        _position_line(notes, lang) for notes in _alike(report.positions, _position_kind).values()
    ]
    if report.positions_file is not None:
        name, filled, missing = report.positions_file
        positions.append(
            _say("importing.positions_file", lang, file=name, filled=filled, missing=missing)
        )
    if positions:
        lines += [_say("importing.report_positions", lang), *(f"- {p}" for p in positions if p)]
    lines += _companies_lines(report, lang)
    lines += _flows_lines(report, lang)
    lines += [f"! {problem}" for problem in report.problems]
    lines += _summary_lines(report, lang, out, mapping_path)
    return "\n".join(lines)


def _say(key: str, lang: str, **values: object) -> str:
    """Return the text ``key`` with its counts written as the reader writes numbers (1 200)."""
    written = {
        name: format_count(value, lang)
        if isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return t(key, lang, **written)


def confidence_text(confidence: float, lang: str) -> str:
    """Return a resolver's confidence as the reader writes numbers: ``0,85`` / ``0.85``."""
    return format_decimal(confidence, lang, decimals=2)


def suggestion_text(suggestions: Iterable[tuple[str, float]], lang: str) -> str:
    """Return the three best suggestions with their confidence: ``10 01 02 (0,72), …`` or —."""
    shown = list(suggestions)[:3]
    return ", ".join(f"{code} ({confidence_text(score, lang)})" for code, score in shown) or "—"


def _more(items: list[str], lang: str) -> list[str]:
    if len(items) <= _SHOWN:
        return items
    return [*items[:_SHOWN], _say("importing.and_more", lang, count=len(items) - _SHOWN)]


def _zone_line(label: str, lang: str) -> str:
    return _say("importing.source_zone", lang, file=label)


def _alike(items: Iterable[_T], key: Callable[[_T], Hashable]) -> dict[Hashable, list[_T]]:
    """Group items that read the same (copies of one workbook), in their first order."""
    groups: dict[Hashable, list[_T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def _files(labels: list[str], lang: str) -> str:
    if len(labels) == 1:
        return labels[0]
    shown = ", ".join(labels[:3]) + (" …" if len(labels) > 3 else "")  # noqa: PLR2004
    return _say("importing.several_tables", lang, count=len(labels), files=shown)


def _table_line(plans: list[TablePlan], lang: str) -> str:
    plan = plans[0]
    shape = t(f"importing.shape_{plan.shape}", lang)
    recognised = ", ".join(
        f"{header} → {t(f'importing.field_{field}', lang)}"
        for header, field in plan.columns.items()
        if field
    )
    files = _files([p.table.label for p in plans], lang)
    rows = sum(len(p.table.frame) for p in plans)
    parts = [_say("importing.source_table", lang, file=files, shape=shape, rows=rows)]
    for each in plans:
        parts += framing_notes(each.table.header_row, each.table.totals, lang)
    for each in plans:
        named = named_direction(each.table)
        if named and each.shape in ("flat", "flows") and "direction" not in each.columns.values():
            said = {"name": each.table.label, "direction": t(f"importing.direction_{named}", lang)}
            parts.append(_say("importing.direction_from_name", lang, **said))
    if plan.shape != "ignore" and recognised:
        parts.append(_say("importing.columns_recognised", lang, columns=recognised))
    if plan.ignored and plan.shape != "ignore":
        parts.append(_say("importing.columns_ignored", lang, columns=", ".join(plan.ignored)))
    line = semicolon(lang).join(parts)
    if plan.origin == "mapping":
        line += " " + _say("importing.from_mapping", lang)
    return line


def framing_notes(header_row: int, totals: tuple[int, ...], lang: str) -> list[str]:
    """Say which rows of a table were left out: those above its header, its total rows."""
    notes = []
    if header_row > 1:
        notes.append(_say("importing.header_below", lang, row=header_row))
    if totals:
        notes.append(_say("importing.totals_left", lang, rows=", ".join(map(str, totals))))
    return notes


def _position_kind(note: PositionNote) -> Hashable:
    """Return what makes notes alike: several tables said the same of (nothing row by row)."""
    if note.rows_swapped or note.unreadable or note.not_points:
        return id(note)
    return (note.method, note.crs, note.crs_guessed, note.axes_swapped, note.projected_undeclared)


def _position_line(notes: list[PositionNote], lang: str) -> str:
    note = notes[0]
    parts = [t(f"importing.position_{note.method}", lang)]
    if note.projected_undeclared:
        parts.append(_say("importing.position_undeclared", lang))
    if note.crs and note.crs != "EPSG:4326":
        key = "importing.position_crs_guessed" if note.crs_guessed else "importing.position_crs"
        parts.append(t(key, lang, crs=note.crs))
    if note.projected_undeclared and not note.crs:
        parts.append(_say("importing.position_crs_unknown", lang))
    if note.axes_swapped:
        parts.append(_say("importing.position_swapped", lang))
    if note.rows_swapped:
        parts.append(_say("importing.position_rows_swapped", lang, rows=_rows(note.rows_swapped)))
    if note.not_points:
        parts.append(_say("importing.position_not_points", lang, count=note.not_points))
    if note.unreadable:
        parts.append(_say("importing.position_unreadable", lang, rows=_rows(note.unreadable)))
    files = _files([n.table for n in notes], lang)
    return f"{files} : " + " ; ".join(parts) if lang == "fr" else f"{files}: " + "; ".join(parts)


def _rows(rows: Iterable[int]) -> str:
    listed = list(rows)
    shown = ", ".join(str(r) for r in listed[:_SHOWN])
    return shown + (" …" if len(listed) > _SHOWN else "")


def _companies_lines(report: ImportReport, lang: str) -> list[str]:
    count = report.counts.get("companies", 0)
    lines = [_say("importing.report_companies", lang, count=count, unlocated=len(report.unlocated))]
    items = [_say("importing.unlocated", lang, name=name) for name in report.unlocated]
    items += [
        _say("importing.siret_spoiled", lang, name=name, value=value, file=file)
        for file, name, value in report.spoiled_sirets
    ]
    items += [
        _say(
            "importing.conflict",
            lang,
            id=c.company,
            field=t(f"importing.field_{c.field}", lang),
            values=" / ".join(t("validation.quoted", lang, text=v) for v in c.values),
        )
        for c in report.conflicts
    ]
    items += [
        _say("importing.renamed", lang, file=file, given=given, id=new)
        for file, given, new in report.renamed
    ]
    items += [
        _say("importing.company_created", lang, text=text, id=cid)
        for text, cid in report.companies_created
    ]
    items += [
        _say("importing.bad_employees", lang, name=n, value=v) for n, v in report.bad_employees
    ]
    return lines + [f"- {item}" for item in _more(items, lang)]


def _flows_lines(report: ImportReport, lang: str) -> list[str]:
    counts = report.counts
    lines = [
        _say(
            "importing.report_flows",
            lang,
            flows=counts.get("flows", 0),
            synergies=counts.get("synergies", 0),
        ),
        "- "
        + _say(
            "importing.resources",
            lang,
            given=report.coded_given,
            auto=sum(c for *_, c in report.coded_auto),
            mapping=report.coded_by_mapping,
            pending=sum(c for *_, c in report.to_code),
        ),
    ]
    items = [
        _say(
            "importing.resource_auto",
            lang,
            text=text,
            code=code,
            confidence=confidence_text(confidence, lang),
            count=count,
        )
        for text, code, confidence, count in report.coded_auto
    ]
    lines += [f"  - {item}" for item in _more(items, lang)]
    pending = [
        _say(
            "importing.resource_pending",
            lang,
            text=text,
            count=count,
            suggestions=suggestion_text(suggestions, lang),
        )
        for text, suggestions, count in report.to_code
    ]
    lines += [f"  - {item}" for item in _more(pending, lang)]
    statuses = report.quantity_statuses
    lines.append(
        "- "
        + _say(
            "importing.quantities",
            lang,
            published=statuses.get("published", 0),
            estimate=statuses.get("estimate", 0),
            unknown=statuses.get("unknown", 0),
        )
    )
    conversions = [
        _say("importing.conversion", lang, written=written, note=note or "—", count=count)
        for written, note, count in report.conversions
    ]
    lines += [f"  - {item}" for item in _more(conversions, lang)]
    lines += [
        "- " + _say("importing.direction_unknown", lang, word=word or "—", count=count)
        for word, count in report.unknown_directions
    ]
    if report.unattached:
        lines.append("- " + _say("importing.unattached", lang, count=report.unattached))
    return lines


def _summary_lines(
    report: ImportReport, lang: str, out: Path | None, mapping_path: Path | None
) -> list[str]:
    lines = []
    if out is not None and report.counts.get("companies"):
        lines.append(_say("importing.written", lang, path=out))
    pending = {
        "to_code": sum(c for *_, c in report.to_code),
        "to_locate": len(report.unlocated),
        "directions": sum(c for _, c in report.unknown_directions),
        "companies": len(report.companies_created),
        "estimates": report.quantity_statuses.get("estimate", 0),
    }
    if any(pending.values()):
        lines.append(_say("importing.left_to_decide", lang, **pending))
    if mapping_path is not None:
        lines.append(_say("importing.mapping_written", lang, path=mapping_path))
    return lines
