"""Read and write the mapping file: the import's decisions, for a user to correct and reuse."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eit_geo.i18n import DEFAULT_LANGUAGE, t
from eit_geo.import_columns import FIELDS
from eit_geo.import_shapes import SHAPES

__all__ = [
    "MAPPING_SUFFIX",
    "MAPPING_VERSION",
    "Mapping",
    "MappingError",
    "Notes",
    "TableChoice",
    "default_mapping_path",
    "mapping_text",
    "read_mapping",
    "write_mapping",
]

MAPPING_VERSION = 1
MAPPING_SUFFIX = ".mapping.toml"
MAPPING_DOC = "docs/import-mapping.md"
"""Where the format of the mapping file is described (named in the file's head)."""
SECTIONS: tuple[str, ...] = ("resources", "quantities", "directions", "companies")
"""Sections mapping a text as written to a decision (a code, a quantity, a direction, a
company)."""


class MappingError(ValueError):
    """A mapping file that cannot be read; the message says where and why."""


@dataclass
class TableChoice:
    """How the tables of one kind (one header signature) are read.

    Attributes
    ----------
    files : the files of that kind seen (for the reader of the file; not used to match)
    shape : one of `eit_geo.import_shapes.SHAPES`
    columns : ``{header as written: field}``, ``""`` for a column left aside
    crs : the CRS of their X/Y columns or geometries, e.g. ``EPSG:2154``; None when declared or
        recognised
    detected : the shape recognised from the columns, written as a comment when ``shape`` is
        empty (an empty ``shape`` lets the import recognise it again)
    """

    files: list[str] = field(default_factory=list)
    shape: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    crs: str | None = None
    detected: str = ""


@dataclass
class Mapping:
    """Every decision of an import, by header signature and by text as written.

    ``resources`` map a free text to a code (``""``: leave « à coder »); ``quantities`` a
    quantity as written (``quantity | unit``) to another writing to read instead (``""``: as
    read); ``directions`` a direction word to ``input`` or ``output``; ``companies`` a name as
    written in a flow or exchange to the id or name of the company it means (``""``: a company
    of its own, to be located).
    """

    tables: dict[str, TableChoice] = field(default_factory=dict)
    crs: str | None = None
    resources: dict[str, str] = field(default_factory=dict)
    quantities: dict[str, str] = field(default_factory=dict)
    directions: dict[str, str] = field(default_factory=dict)
    companies: dict[str, str] = field(default_factory=dict)

    def section(self, name: str) -> dict[str, str]:
        """Return one of the text → decision `SECTIONS`."""
        return getattr(self, name)


@dataclass
class Notes:
    """What the written file says beside each entry: how it was decided, what is pending.

    ``comments[(section, key)]`` is the comment of an entry; ``pending`` holds the entries left
    to decide, written first in their section.
    """

    comments: dict[tuple[str, str], str] = field(default_factory=dict)
    pending: set[tuple[str, str]] = field(default_factory=set)


def default_mapping_path(out: Path) -> Path:
    """Return where the mapping of an import to ``out`` is written (``zone.mapping.toml``)."""
    return out.with_name(out.stem + MAPPING_SUFFIX)


def read_mapping(path: Path, *, lang: str = DEFAULT_LANGUAGE) -> Mapping:
    """Read a mapping file.

    Raises
    ------
    MappingError
        When the file is missing, is not TOML, or holds a value that cannot be a decision (an
        unknown field or shape), with the file, the entry and the values allowed.
    """
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise MappingError(
            t("importing.mapping_unreadable", lang, file=path.name, reason=error.strerror)
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise MappingError(
            t("importing.mapping_unreadable", lang, file=path.name, reason=str(error))
        ) from None
    problems: list[str] = []
    mapping = Mapping(crs=_text(data.get("crs")) or None)
    for signature, entry in _tables(data.get("tables", {})):
        choice = TableChoice(
            files=[str(f) for f in entry.get("files", [])],
            shape=_text(entry.get("shape")),
            columns={str(k): _text(v) for k, v in dict(entry.get("columns", {})).items()},
            crs=_text(entry.get("crs")) or None,
        )
        if choice.shape and choice.shape not in SHAPES:
            problems.append(
                t(
                    "importing.mapping_bad_shape",
                    lang,
                    entry=signature,
                    value=choice.shape,
                    allowed=", ".join(SHAPES),
                )
            )
        for header, value in choice.columns.items():
            if value and value not in FIELDS:
                problems.append(
                    t(
                        "importing.mapping_bad_field",
                        lang,
                        entry=header,
                        value=value,
                        allowed=", ".join(FIELDS),
                    )
                )
        mapping.tables[str(signature)] = choice
    for name in SECTIONS:
        section = data.get(name, {})
        if isinstance(section, dict):
            mapping.section(name).update({str(k): _text(v) for k, v in section.items()})
    if problems:
        raise MappingError(
            "\n".join(
                f"{path.name} : {p}" if lang == "fr" else f"{path.name}: {p}" for p in problems
            )
        )
    return mapping


def _tables(tables: object) -> Iterable[tuple[str, dict[str, Any]]]:
    if not isinstance(tables, dict):
        return []
    return [(str(k), v) for k, v in tables.items() if isinstance(v, dict)]


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def write_mapping(
    mapping: Mapping, path: Path, notes: Notes | None = None, *, lang: str = DEFAULT_LANGUAGE
) -> Path:
    """Write ``mapping`` as a commented TOML file a user can edit, and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = mapping_text(mapping, notes, lang=lang, file_name=path.name)
    path.write_text(text, encoding="utf-8")
    return path


def mapping_text(
    mapping: Mapping,
    notes: Notes | None = None,
    *,
    lang: str = DEFAULT_LANGUAGE,
    file_name: str = "zone" + MAPPING_SUFFIX,
) -> str:
    """Return the text of the mapping file (see ``docs/import-mapping.md``)."""
    notes = notes or Notes()
    head = t("importing.mapping_head", lang, file=file_name, doc=MAPPING_DOC)
    lines = [_comment(line) for line in head.split("\n")]
    lines += [_comment(t("importing.mapping_fields", lang, fields=", ".join(FIELDS)))]
    lines += [_comment(t("importing.mapping_shapes", lang, shapes=", ".join(SHAPES))), ""]
    lines += [f"version = {MAPPING_VERSION}"]
    lines += [
        f"crs = {_quoted(mapping.crs or '')}  {_comment(t('importing.mapping_crs', lang))}",
        "",
    ]
    for signature, choice in mapping.tables.items():
        lines += [f"[tables.{_quoted(signature)}]"]
        lines += [f"files = [{', '.join(_quoted(f) for f in choice.files)}]"]
        lines += [f"shape = {_quoted(choice.shape)}"]
        if not choice.shape and choice.detected:
            lines[-1] += "  " + _comment(
                t("importing.mapping_detected", lang, shape=choice.detected)
            )
        lines += [f"crs = {_quoted(choice.crs or '')}"]
        lines += [f"[tables.{_quoted(signature)}.columns]"]
        for header, value in choice.columns.items():
            lines += [
                _entry(header, value, notes.comments.get(("columns", f"{signature}|{header}")))
            ]
        lines += [""]
    for name in SECTIONS:
        section = mapping.section(name)
        lines += [f"[{name}]", _comment(t(f"importing.mapping_{name}", lang))]
        pending = [k for k in section if (name, k) in notes.pending]
        settled = [k for k in section if (name, k) not in notes.pending]
        if pending:
            lines += [_comment(t("importing.mapping_pending", lang, count=len(pending)))]
        for key in pending + settled:
            lines += [_entry(key, section[key], notes.comments.get((name, key)))]
        lines += [""]
    return "\n".join(lines).rstrip() + "\n"


def _entry(key: str, value: str, comment: str | None) -> str:
    line = f"{_quoted(key)} = {_quoted(value)}"
    return f"{line}  {_comment(comment)}" if comment else line


def _comment(text: str | None) -> str:
    return "# " + " ".join(str(text).split()) if text else "#"


def _quoted(text: str) -> str:
    """Write a TOML basic string (quotes, backslashes and control characters escaped)."""
    escaped = []
    for char in str(text):
        if char in ('"', "\\"):
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:  # noqa: PLR2004
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'
