"""The import assistant of the Données page: `eit-geo import` driven step by step.

`show_files` says what the files dropped are (a zone of the format, a template campaign, an
inventory), loads a zone as it is or opens the assistant, with an override. The assistant:
what was recognised (each table's shape, with an override) → the columns (choices prefilled)
→ the « à coder » list (codes prefilled when the import is sure) → units and positions (a
coordinate system for X/Y that declare none, as ``--crs``; a SIRENE positions table, as
``--positions``) → load. Every decision goes into a mapping (`import_assist.with_decisions`)
the page runs the command line's import with, and that can be downloaded and reused. The
session's zone is replaced only by the load button, and only by a zone the import built: a
failed import says why and keeps the zone in use.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from eit_geo.codes import ewc_table, is_ewc_code, resource_label, resource_table
from eit_geo.escaping import escape_markdown
from eit_geo.formatting import format_count, format_decimal, semicolon
from eit_geo.i18n import t
from eit_geo.import_assist import (
    Assisted,
    TableView,
    assist_import,
    crs_choices,
    undeclared_crs,
    with_decisions,
)
from eit_geo.import_columns import FIELDS
from eit_geo.import_mapping import MAPPING_SUFFIX, Mapping, MappingError, read_mapping
from eit_geo.import_report import framing_notes, report_text
from eit_geo.import_shapes import SHAPES
from eit_geo.ui.state import language, tr
from eit_geo.ui.zones import set_zone_title, use_imported, use_upload

if TYPE_CHECKING:
    from collections.abc import Callable

    from eit_geo.importing import ImportReport

KEY_RUNS = "import_runs"
KEY_MAPPING_FILE = "import_mapping_file"
KEY_READ_AS = "import_read_as"
KEY_EDITOR = "import_to_code"
KEY_CODES = "import_codes"
KEY_CRS = "import_crs"
KEY_CHOSEN = "import_chosen"
KEY_POSITIONS = "import_positions"
KEY_LOAD = "import_load"
KEY_LOADED = "import_loaded"
KEY_TITLE = "import_title"
_COLUMN_KEY = "import_column"
_SHAPE_KEY = "import_shape"
_KEPT_RUNS = 6
POSITION_TYPES = ("csv", "txt", "xlsx", "parquet")


@cache
def code_labels(lang: str) -> dict[str, str]:
    """Return ``{label shown: code}`` for every resource code and EWC code, in ``lang``."""
    codes = list(resource_table().index)
    codes += [code for code in ewc_table().index if is_ewc_code(code) and code not in codes]
    labels: dict[str, str] = {}
    for code in codes:
        label = resource_label(code, lang)
        labels[label if label not in labels else f"{label} ({code})"] = code
    return labels


def _chosen(key: str) -> object:
    """Return the choice of the widget ``key``: its value, else the one kept across languages.

    The widgets of the assistant are keyed by language (their labels change with it: a
    Streamlit widget whose labels change shows a stale one); `_choice` keeps what was chosen.
    """
    state = st.session_state
    return state.get(f"{key}|{language()}", state.get(KEY_CHOSEN, {}).get(key))


def _choice(
    widget: Callable[..., object],
    label: str,
    options: list[str],
    key: str,
    *,
    default: str,
    labels: Callable[[str], str],
    **more: object,
) -> str:
    """Draw a selectbox or radio keyed by ``key`` and language; return (and keep) the choice."""
    chosen = _chosen(key)
    index = options.index(str(chosen)) if chosen in options else options.index(default)
    value = widget(
        label, options, index=index, key=f"{key}|{language()}", format_func=labels, **more
    )
    st.session_state.setdefault(KEY_CHOSEN, {})[key] = value
    return str(value)


def _digest(*parts: object) -> str:
    return hashlib.sha256(pickle.dumps(parts)).hexdigest()


def _run(
    files: tuple[tuple[str, bytes], ...],
    mapping: Mapping,
    positions: tuple[str, bytes] | None,
    lang: str,
) -> Assisted:
    """Run the import with ``mapping``, once per files, decisions and language in the session."""
    key = _digest(files, repr(mapping), positions, lang)
    runs: dict[str, Assisted] = st.session_state.setdefault(KEY_RUNS, {})
    if key not in runs:
        with st.spinner(tr("app.upload_reading")):
            runs[key] = assist_import(files, mapping, positions=positions, lang=lang)
        while len(runs) > _KEPT_RUNS:
            runs.pop(next(iter(runs)))
    return runs[key]


def _base_mapping(lang: str) -> Mapping:
    """Return the mapping file the user dropped (the decisions of an earlier import), if any."""
    dropped = st.file_uploader(
        tr("app.import_mapping_upload"),
        type=["toml"],
        key=KEY_MAPPING_FILE,
        help=tr("app.import_mapping_upload_help"),
    )
    if dropped is None:
        return Mapping()
    with tempfile.TemporaryDirectory(prefix="eit-geo-mapping-") as folder:
        path = Path(folder) / "zone.mapping.toml"
        path.write_bytes(dropped.getvalue()[:1_000_000])
        try:
            return read_mapping(path, lang=lang)
        except MappingError as error:
            st.warning(str(error).replace(str(path), dropped.name))
            return Mapping()


def _column_choices(plain: list[TableView]) -> dict[str, dict[str, str]]:
    """Read the column choices made on the page (widgets shown by `_columns_step`).

    ``plain`` are the tables as recognised without any decision: only a field that differs
    from theirs is a choice.
    """
    choices: dict[str, dict[str, str]] = {}
    for view in plain:
        for header in view.columns:
            chosen = _chosen(f"{_COLUMN_KEY}|{view.signature}|{header}")
            if chosen is not None and chosen != view.columns[header]:
                choices.setdefault(view.signature, {})[header] = str(chosen)
    return choices


def _shape_choices(plain: list[TableView]) -> dict[str, str]:
    """Read the shapes chosen on the page (``""``: as recognised), by table signature."""
    chosen = {view.signature: _chosen(f"{_SHAPE_KEY}|{view.signature}") for view in plain}
    return {signature: str(shape) for signature, shape in chosen.items() if shape}


def _to_code_rows(first: Assisted, lang: str) -> pd.DataFrame:
    """Return the « à coder » table of the first import: texts, flows, suggestions, code.

    The code shown is the one chosen in this session, else the one the import was sure of.
    """
    labels = {code: label for label, code in code_labels(lang).items()}
    chosen: dict[str, str] = st.session_state.get(KEY_CODES, {})
    report = first.result.report if first.result is not None else None
    rows: list[tuple[str, int, str, str | None]] = []
    for text, suggestions, count in report.to_code if report is not None else []:
        shown = " ; ".join(
            f"{labels.get(code, code)} ({format_decimal(score, lang, decimals=2)})"
            for code, score in suggestions[:3]
        )
        rows.append((text, count, shown, labels.get(chosen.get(text, ""))))
    for text, code, confidence, count in report.coded_auto if report is not None else []:
        shown = f"{labels.get(code, code)} ({format_decimal(confidence, lang, decimals=2)})"
        rows.append((text, count, shown, labels.get(chosen.get(text, code))))
    columns = [tr("app.import_text"), tr("app.import_flows"), tr("app.import_suggestions")]
    return pd.DataFrame(rows, columns=[*columns, tr("app.import_code")])


def codes_from_edits(
    rows: pd.DataFrame, edited: dict[object, dict[str, object]], lang: str
) -> dict[str, str]:
    """Return the codes chosen in the « à coder » editor: ``{text as written: code}``.

    ``edited`` is the editor's ``edited_rows`` (``{row: {column: label shown}}``); a cell
    emptied gives ``""`` (the text stays « à coder »).
    """
    codes = code_labels(lang)
    column = str(rows.columns[-1])  # the code chosen
    choices = {}
    for row, changes in edited.items():
        number = int(str(row))
        if column in changes and 0 <= number < len(rows):
            choices[str(rows.iloc[number, 0])] = codes.get(str(changes[column] or ""), "")
    return choices


def keep_codes(editor: str, rows: pd.DataFrame, lang: str) -> None:
    """Keep the codes chosen in the « à coder » editor, by text (the editor's callback).

    Read before the next run draws the page: the import then runs with these codes.
    """
    edited = st.session_state[editor].get("edited_rows", {})
    codes: dict[str, str] = st.session_state.setdefault(KEY_CODES, {})
    codes.update(codes_from_edits(rows, edited, lang))


def show_files(files: list[tuple[str, bytes]]) -> None:
    """Say what the files dropped are; load a zone of the format as it is, or open the assistant.

    What the files are is recognised by the import (`Assisted.files_kind`) and said in words;
    the user may read them the other way.
    """
    lang = language()
    given = tuple(files)
    plain = _run(given, Mapping(), None, lang)
    kind = plain.files_kind()
    shapes = dict.fromkeys(t(f"importing.shape_{v.shape}", lang) for v in plain.tables)
    st.info(
        tr(
            f"app.import_kind_{kind}",
            count=format_count(len(plain.campaign()), lang),
            shapes=" ; ".join(shapes),
        )
    )
    choice = _choice(
        st.radio,
        tr("app.import_mode"),
        ["zone", "import"],
        f"{KEY_READ_AS}|{_digest(given)[:16]}",
        default="zone" if kind == "zone" else "import",
        labels=lambda mode: tr(f"app.import_mode_{mode}"),
        horizontal=True,
        help=tr("app.import_mode_help"),
    )
    if choice == "zone":
        use_upload(files)
    else:
        show_assistant(files, plain)


def show_assistant(files: list[tuple[str, bytes]], plain: Assisted) -> None:
    """Show the import assistant for the files dropped; load the zone on the user's word.

    ``plain`` is the import of the files without any decision (what was recognised by itself).
    """
    lang = language()
    given = tuple(files)
    base = _base_mapping(lang)
    steps = [st.container() for _ in range(5)]
    with steps[3]:
        st.subheader(tr("app.import_step_notes"))
        positions = positions_upload()
    decided = with_decisions(
        base,
        _column_choices(plain.tables),
        {},
        shapes=_shape_choices(plain.tables),
        crs=str(_chosen(KEY_CRS) or "") or None,
    )
    first = _run(given, decided, positions, lang)
    rows = _to_code_rows(first, lang)
    codes = {text: code for text, code in st.session_state.get(KEY_CODES, {}).items() if code}
    assisted = _run(given, with_decisions(decided, {}, codes), positions, lang)

    with steps[0]:
        st.subheader(tr("app.import_step_recognised"))
        _recognised_step(assisted, plain, lang)
    if first.tables:
        with steps[1]:
            st.subheader(tr("app.import_step_columns"))
            _columns_step(first.tables, lang)
    if not rows.empty:
        with steps[2]:
            st.subheader(tr("app.import_step_to_code"))
            _to_code_step(rows, lang)
    with steps[3]:
        _positions_step(first, assisted, lang)
    with steps[4]:
        _load_step(assisted, Path(files[0][0]).stem if files else "")


def positions_upload() -> tuple[str, bytes] | None:
    """Offer a positions table keyed by SIRET (INSEE's ``siret;x;y;epsg``); return it if dropped."""
    dropped = st.file_uploader(
        tr("app.import_positions"),
        type=list(POSITION_TYPES),
        key=KEY_POSITIONS,
        help=tr("app.import_positions_help"),
    )
    return None if dropped is None else (dropped.name, dropped.getvalue())


def crs_label(crs: str, lang: str) -> str:
    """Return how a coordinate system is named on the page: area, name and EPSG code."""
    for choice in crs_choices():
        if choice.crs == crs:
            return f"{t(f'app.import_crs_area_{choice.area}', lang)} · {choice.name} ({crs})"
    return crs


def _positions_step(first: Assisted, assisted: Assisted, lang: str) -> None:
    """Say the positions in metres without a declared system; offer the systems; the report."""
    chosen = _chosen(KEY_CRS) or ""
    undeclared = undeclared_crs(first)
    found = next((crs for _, crs in undeclared if crs), None)
    auto = tr("app.import_crs_found", crs=crs_label(found, lang)) if found else ""
    auto = auto or tr("app.import_crs_auto")
    for table, crs in undeclared:
        if crs:
            st.warning(tr("app.import_crs_guessed", name=table, crs=crs_label(crs, lang)))
        else:
            st.warning(tr("app.import_crs_unknown", name=table))
    with st.expander(tr("app.import_crs"), expanded=bool(undeclared or chosen)):
        _choice(
            st.selectbox,
            tr("app.import_crs_pick"),
            ["", *(choice.crs for choice in crs_choices())],
            KEY_CRS,
            default="",
            labels=lambda crs: crs_label(crs, lang) if crs else auto,
            help=tr("app.import_crs_help"),
        )
    report = assisted.result.report if assisted.result is not None else None
    if report is not None and report.positions_file is not None:
        _, filled, missing = report.positions_file
        counts = {"count": format_count(filled, lang), "missing": format_count(missing, lang)}
        st.info(tr("app.import_positions_filled", **counts))
    if report is not None:
        st.text(page_report(report, lang))


def page_report(report: ImportReport, lang: str) -> str:
    """Return the import's report as the page shows it, below the steps that say the rest.

    The sources are listed by the first step; the command line's hints (« --crs ») become the
    page's (the picker above); each resource coded is named by its label.
    """
    lines = report_text(report).splitlines()
    if lines and lines[0] == t("importing.report_sources", lang):
        lines = lines[1:]
        while lines and lines[0].startswith("- "):
            lines = lines[1:]
    text = "\n".join(lines)
    for crs in dict.fromkeys(note.crs for note in report.positions if note.crs):
        cli = t("importing.position_crs_guessed", lang, crs=crs)
        text = text.replace(cli, t("app.import_crs_guessed_note", lang, crs=crs_label(crs, lang)))
    unknown = t("importing.position_crs_unknown", lang)
    return readable_report(text.replace(unknown, t("app.import_crs_unknown_note", lang)), lang)


_CODED = re.compile(r"→ ([^()«»→]+?) \(")


def readable_report(text: str, lang: str) -> str:
    """Return the import's report with each resource coded named by its label, not its key."""
    return _CODED.sub(lambda found: f"→ {resource_label(found.group(1), lang)} (", text)


def _recognised_step(assisted: Assisted, plain: Assisted, lang: str) -> None:
    """List the files read, each table's shape in words (with an override), and the counts."""
    for label in assisted.zones:
        st.markdown(f"- {tr('app.import_zone_file', name=escape_markdown(label))}")
    recognised = {view.signature: view.shape for view in plain.tables}
    seen: set[str] = set()
    for view in assisted.tables:
        shape = t(f"importing.shape_{view.shape}", lang) if view.shape else "—"
        rows = format_count(view.rows, lang)
        line = tr("app.import_table", name=escape_markdown(view.label), shape=shape, rows=rows)
        notes = framing_notes(view.header_row, view.totals, lang)
        st.markdown("- " + semicolon(lang).join([line, *notes]))
        if view.signature in seen:
            continue  # tables of one kind are read alike
        seen.add(view.signature)
        detected = t(f"importing.shape_{recognised.get(view.signature, view.shape)}", lang)
        shown = {"": tr("app.import_shape_auto", shape=detected)}
        shown.update({name: t(f"importing.shape_{name}", lang) for name in SHAPES})
        _choice(
            st.selectbox,
            tr("app.import_shape_of", name=view.label),
            list(shown),
            f"{_SHAPE_KEY}|{view.signature}",
            default="",
            labels=shown.__getitem__,
        )
    if assisted.result is not None:
        counts = assisted.result.report.counts
        st.info(
            tr(
                "app.import_counts",
                companies=format_count(counts.get("companies", 0), lang),
                flows=format_count(counts.get("flows", 0), lang),
            )
        )


def _columns_step(tables: list[TableView], lang: str) -> None:
    options = ["", *FIELDS]
    seen: set[str] = set()
    for view in tables:
        if view.signature in seen:
            continue
        seen.add(view.signature)
        with st.expander(tr("app.import_columns_of", name=view.label), expanded=len(seen) == 1):
            grid = st.columns(3)
            for number, (header, field) in enumerate(view.columns.items()):
                _choice(
                    grid[number % 3].selectbox,
                    header or "—",
                    options,
                    f"{_COLUMN_KEY}|{view.signature}|{header}",
                    default=field if field in options else "",
                    labels=lambda name: (
                        t(f"importing.field_{name}", lang) if name else tr("app.import_aside")
                    ),
                )


def _to_code_step(rows: pd.DataFrame, lang: str) -> None:
    """Show the « à coder » editor: one row per text, a searchable list of codes by label."""
    st.caption(tr("app.import_to_code_help"))
    editor = f"{KEY_EDITOR}|{_digest(list(rows.iloc[:, 0]))[:16]}"  # new texts, new editor
    st.data_editor(
        rows,
        key=editor,
        on_change=keep_codes,
        args=(editor, rows, lang),
        hide_index=True,
        width="stretch",
        disabled=[str(column) for column in rows.columns[:3]],
        placeholder="—",
        column_config={
            str(rows.columns[0]): st.column_config.TextColumn(width=230),
            str(rows.columns[1]): st.column_config.NumberColumn(width=60),
            str(rows.columns[2]): st.column_config.TextColumn(width=300),
            tr("app.import_code"): st.column_config.SelectboxColumn(
                tr("app.import_code"), options=list(code_labels(lang)), width=330
            ),
        },
    )


def _load_step(assisted: Assisted, stem: str) -> None:
    st.subheader(tr("app.import_step_load"))
    problems = list(assisted.problems)
    if assisted.result is not None:
        problems += assisted.result.report.problems
    for problem in problems[:20]:
        st.warning(str(problem))
    words = " ".join(stem.replace("-", " ").replace("_", " ").split())
    title = st.text_input(
        tr("app.zone_title"),
        value=words[:1].upper() + words[1:],
        key=KEY_TITLE,
        max_chars=120,
        help=tr("app.zone_title_help"),
    )
    left, right = st.columns(2)
    if assisted.mapping:
        right.download_button(
            tr("app.import_mapping_download"),
            data=assisted.mapping.encode("utf-8"),
            file_name="zone" + MAPPING_SUFFIX,
            mime="application/toml",
            help=tr("app.import_mapping_download_help"),
        )
    st.caption(tr("app.import_load_note"))
    if left.button(tr("app.import_load"), key=KEY_LOAD, type="primary"):
        if assisted.zone_ready:
            assert assisted.result is not None  # noqa: S101 - for type checkers
            zone = assisted.result.zone
            assert zone is not None  # noqa: S101 - for type checkers
            zone.name, zone.source = stem or zone.name, "upload"
            use_imported(zone)
            if title.strip():
                set_zone_title(zone, title)
            st.session_state[KEY_LOADED] = True
            st.rerun()
        else:
            st.error(tr("app.import_failed"))
