"""The import assistant of the Données page: `eit-geo import` driven step by step.

What was recognised → the columns (choices prefilled) → the « à coder » list (codes prefilled
when the import is sure) → units and positions → load. Every decision goes into a mapping
(`import_assist.with_decisions`) the page runs the command line's import with, and that can be
downloaded and reused. The session's zone is replaced only by the load button, and only by a
zone the import built: a failed import says why and keeps the zone in use.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import tempfile
from functools import cache
from pathlib import Path

import pandas as pd
import streamlit as st

from eit_geo.codes import ewc_table, is_ewc_code, resource_label, resource_table
from eit_geo.escaping import escape_markdown
from eit_geo.formatting import format_count
from eit_geo.i18n import t
from eit_geo.import_assist import Assisted, TableView, assist_import, with_decisions
from eit_geo.import_columns import FIELDS
from eit_geo.import_mapping import MAPPING_SUFFIX, Mapping, MappingError, read_mapping
from eit_geo.import_report import report_text
from eit_geo.ui.state import language, tr
from eit_geo.ui.zones import set_zone_title, use_imported

KEY_RUNS = "import_runs"
KEY_MAPPING_FILE = "import_mapping_file"
KEY_EDITOR = "import_to_code"
KEY_EDITS = "import_to_code_edits"
KEY_LOAD = "import_load"
KEY_LOADED = "import_loaded"
KEY_TITLE = "import_title"
_COLUMN_KEY = "import_column"
_KEPT_RUNS = 4


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


def _digest(*parts: object) -> str:
    return hashlib.sha256(pickle.dumps(parts)).hexdigest()


def _run(files: tuple[tuple[str, bytes], ...], mapping: Mapping, lang: str) -> Assisted:
    """Run the import with ``mapping``, once per files, decisions and language in the session."""
    key = _digest(files, repr(mapping), lang)
    runs: dict[str, Assisted] = st.session_state.setdefault(KEY_RUNS, {})
    if key not in runs:
        with st.spinner(tr("app.upload_reading")):
            runs[key] = assist_import(files, mapping, lang=lang)
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


def _column_choices(tables: list[TableView]) -> dict[str, dict[str, str]]:
    """Read the column choices made on the page (widgets shown by `_columns_step`)."""
    choices: dict[str, dict[str, str]] = {}
    for view in tables:
        for header in view.columns:
            chosen = st.session_state.get(f"{_COLUMN_KEY}|{view.signature}|{header}")
            if chosen is not None and chosen != view.columns[header]:
                choices.setdefault(view.signature, {})[header] = chosen
    return choices


def _to_code_rows(first: Assisted, lang: str) -> pd.DataFrame:
    """Return the « à coder » table of the first import: texts, flows, suggestions, code."""
    labels = {code: label for label, code in code_labels(lang).items()}
    report = first.result.report if first.result is not None else None
    rows: list[tuple[str, int, str, str | None]] = []
    for text, suggestions, count in report.to_code if report is not None else []:
        shown = " ; ".join(
            f"{labels.get(code, code)} ({score:.2f})" for code, score in suggestions[:3]
        )
        rows.append((text, count, shown, None))
    for text, code, confidence, count in report.coded_auto if report is not None else []:
        rows.append((text, count, f"{labels.get(code, code)} ({confidence:.2f})", labels.get(code)))
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


def _keep_edits() -> None:
    """Keep the editor's changes where the next run reads them (before the editor is drawn)."""
    st.session_state[KEY_EDITS] = dict(st.session_state[KEY_EDITOR].get("edited_rows", {}))


def show_assistant(files: list[tuple[str, bytes]]) -> None:
    """Show the import assistant for the files dropped; load the zone on the user's word."""
    lang = language()
    given = tuple(files)
    base = _base_mapping(lang)
    first = _run(given, base, lang)
    rows = _to_code_rows(first, lang)
    codes = codes_from_edits(rows, st.session_state.get(KEY_EDITS, {}), lang)
    mapping = with_decisions(base, _column_choices(first.tables), codes)
    assisted = _run(given, mapping, lang)

    st.subheader(tr("app.import_step_recognised"))
    _recognised_step(assisted, lang)
    if first.tables:
        st.subheader(tr("app.import_step_columns"))
        _columns_step(first.tables, lang)
    if not rows.empty:
        st.subheader(tr("app.import_step_to_code"))
        _to_code_step(rows, lang)
    if assisted.result is not None:
        st.subheader(tr("app.import_step_notes"))
        st.text(readable_report(report_text(assisted.result.report), lang))
    _load_step(assisted, Path(files[0][0]).stem if files else "")


_CODED = re.compile(r"→ ([^()«»→]+?) \(")


def readable_report(text: str, lang: str) -> str:
    """Return the import's report with each resource coded named by its label, not its key."""
    return _CODED.sub(lambda found: f"→ {resource_label(found.group(1), lang)} (", text)


def _recognised_step(assisted: Assisted, lang: str) -> None:
    for label in assisted.zones:
        st.markdown(f"- {tr('app.import_zone_file', name=escape_markdown(label))}")
    for view in assisted.tables:
        shape = t(f"importing.shape_{view.shape}", lang) if view.shape else "—"
        rows = format_count(view.rows, lang)
        line = tr("app.import_table", name=escape_markdown(view.label), shape=shape, rows=rows)
        st.markdown(f"- {line}")
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
                grid[number % 3].selectbox(
                    header or "—",
                    options,
                    index=options.index(field) if field in options else 0,
                    key=f"{_COLUMN_KEY}|{view.signature}|{header}",
                    format_func=lambda name: (
                        t(f"importing.field_{name}", lang) if name else tr("app.import_aside")
                    ),
                )


def _to_code_step(rows: pd.DataFrame, lang: str) -> None:
    st.caption(tr("app.import_to_code_help"))
    st.data_editor(
        rows,
        key=KEY_EDITOR,
        on_change=_keep_edits,
        hide_index=True,
        width="stretch",
        disabled=[str(column) for column in rows.columns[:3]],
        placeholder="—",
        column_config={
            tr("app.import_code"): st.column_config.SelectboxColumn(
                tr("app.import_code"), options=list(code_labels(lang)), width="large"
            )
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
