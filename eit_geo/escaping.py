"""Escape a user's text before it reaches HTML or Markdown: the one place that does it.

`safe_text` for HTML (the map's tooltips, labels and legend, the workshop board's lines);
`escape_markdown` for what Streamlit reads as Markdown (headings, messages, list lines).
"""

from __future__ import annotations

import html
import re

__all__ = ["escape_markdown", "safe_text"]

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def safe_text(text: str) -> str:
    """Escape a text from the data for HTML: its special characters, and braces.

    Braces too, because folium renders an element's script a second time as a Jinja template
    (``branca.element.Element``), which would run ``{{ … }}`` typed in a name on the server.
    """
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


def escape_markdown(text: str) -> str:
    """Escape a user's text (a company name, a file name) so that Streamlit shows it as typed.

    Streamlit reads headings and messages as Markdown: a name holding ``![x](http://…)``
    would fetch an image from another host.
    """
    return _MARKDOWN.sub(r"\\\1", text)
