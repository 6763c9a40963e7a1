"""Print the report to PDF with headless Chromium, once its page is drawn.

Playwright drives the machine's Chromium (no browser of its own is downloaded): the report
opens from a temporary file with every request outside it refused, in print media, at the
width of an A4 page; the PDF is printed when the page says it is drawn (fonts loaded, every
chart drawn), not after a fixed time.
"""

from __future__ import annotations

import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from eit_geo.settings import CHROMIUM_ENV, chromium_setting

if TYPE_CHECKING:
    from playwright.sync_api import ViewportSize

__all__ = ["CHROMIUM_ENV", "HEADLESS_ARGS", "find_chromium", "report_pdf"]

# Flags every headless Chromium run of the project needs here (root, no GPU, a closed network).
HEADLESS_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)
A4_VIEWPORT: ViewportSize = {"width": 794, "height": 1123}  # CSS pixels at 96 dpi
# The page is drawn: fonts loaded, every plotly chart has its SVG.
_DRAWN = """() => document.readyState === 'complete' && document.fonts.status === 'loaded'
    && Array.from(document.querySelectorAll('.js-plotly-plot'))
        .every(plot => plot.querySelector('.main-svg') !== null)"""
_LOCAL = ("file:", "data:", "blob:", "about:")


def find_chromium() -> str | None:
    """Return the Chromium (or Chrome) executable: ``EIT_GEO_CHROMIUM``, else the first on PATH."""
    configured = chromium_setting()
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def report_pdf(document: str, *, timeout_s: float = 120.0) -> bytes:
    """Print an HTML report to PDF (A4) with headless Chromium, once the page is drawn.

    Parameters
    ----------
    document
        The HTML of `build_report`.
    timeout_s
        Give up after this many seconds.

    Returns
    -------
    bytes
        The PDF file.

    Raises
    ------
    RuntimeError
        If no Chromium is installed (Debian: ``apt-get install chromium``; or set
        ``EIT_GEO_CHROMIUM``), or if the page is not drawn in time or cannot be printed.
    """
    chromium = find_chromium()
    if chromium is None:
        msg = (
            "PDF export needs Chromium: install it (Debian/Ubuntu: apt-get install chromium) "
            f"or set {CHROMIUM_ENV} to a Chrome/Chromium executable; the HTML report needs nothing"
        )
        raise RuntimeError(msg)
    # a thread of its own: Playwright's synchronous API refuses a thread already running an
    # event loop (a caller's own Playwright, an async server)
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_print, document, chromium, timeout_s * 1000).result()


def _print(document: str, chromium: str, timeout_ms: float) -> bytes:
    from playwright.sync_api import Error, sync_playwright  # noqa: PLC0415 - PDF only

    with tempfile.TemporaryDirectory(prefix="eit-geo-pdf-") as folder:
        source = Path(folder) / "report.html"
        source.write_text(document, encoding="utf-8")
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=chromium,
                    args=[*HEADLESS_ARGS, "--disable-dev-shm-usage"],
                    timeout=timeout_ms,
                )
                try:
                    page = browser.new_page(viewport=A4_VIEWPORT)
                    page.route(
                        "**/*",
                        lambda r: r.continue_() if r.request.url.startswith(_LOCAL) else r.abort(),
                    )
                    page.emulate_media(media="print")
                    page.goto(source.as_uri(), wait_until="load", timeout=timeout_ms)
                    page.wait_for_function(_DRAWN, timeout=timeout_ms)
                    return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
                finally:
                    browser.close()
        except Error as error:
            msg = f"Chromium could not print the report: {error}"
            raise RuntimeError(msg) from error
