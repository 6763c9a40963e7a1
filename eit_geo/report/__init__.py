"""Exports for people: the report for elected officials (one offline HTML file, PDF) and tables.

One module per job: `tables` (decisions and factor sources, CSV and XLSX files), `kpis` (the
headline figures and their gains), `svg` (the vector map drawn with shapely), `document` (the
HTML report from the Jinja2 templates of ``data/report``, escaped by `templates`) and `pdf`
(printing it with headless Chromium once it is drawn). Everything public is importable from
here.
"""

from eit_geo.report.document import build_report, inline_map_html, workshop_report
from eit_geo.report.kpis import Kpi, workshop_kpis
from eit_geo.report.pdf import CHROMIUM_ENV, HEADLESS_ARGS, find_chromium, report_pdf
from eit_geo.report.svg import svg_map
from eit_geo.report.tables import decisions_table, factor_sources, table_csv, table_xlsx

__all__ = [
    "CHROMIUM_ENV",
    "HEADLESS_ARGS",
    "Kpi",
    "build_report",
    "decisions_table",
    "factor_sources",
    "find_chromium",
    "inline_map_html",
    "report_pdf",
    "svg_map",
    "table_csv",
    "table_xlsx",
    "workshop_kpis",
    "workshop_report",
]
