"""The report's Jinja2 templates (``data/report/*.j2``), every value escaped on its way out.

One environment, autoescaping: a value printed by a template (``{{ name }}``) is escaped as
HTML text and attribute (``html.escape``, quotes included), whatever its origin; only what the
package itself built as markup (`markup`: a chart, the vector map) goes through unchanged.
"""

from __future__ import annotations

import html
from functools import cache

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from eit_geo.datafiles import data_path

__all__ = ["markup", "render"]


def _escaped(value: object) -> object:
    """Escape every printed value once (``html.escape``); markup built here passes unchanged."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return Markup(html.escape(str(value)))  # noqa: S704 - escaped right here


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(data_path("report")),
        autoescape=True,
        finalize=_escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def markup(text: str) -> Markup:
    """Mark HTML or SVG the package built itself (a chart, the map) as safe to print as is."""
    return Markup(text)  # noqa: S704 - only for markup built by the package, never for data


def render(name: str, **context: object) -> str:
    """Render the template ``data/report/<name>`` with ``context``."""
    return _environment().get_template(name).render(**context)
