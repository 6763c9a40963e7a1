"""What the end-to-end tests do in a browser: offline contexts, waiting for Streamlit, screenshots.

Fixtures of ``conftest.py`` wrap these for the common case; a test that needs a second browser
or its own server imports them from here.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from servers import REPO

ARTIFACTS = REPO / "tests" / "artifacts"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
TILE_HOSTS = ("tile.openstreetmap.org", "basemaps.cartocdn.com")
VIEWPORT = {"width": 1600, "height": 900}
WAIT_MS = 30_000  # for the app to answer on a loaded machine
IDLE_MS = 60_000  # for a script run: a page's first one computes its figures


def offline_context(
    browser: object, viewport: dict[str, int] | None = None, timeout_ms: int = WAIT_MS
) -> object:
    """Return a new browser context (own cookies and Streamlit session), offline like a workshop
    room: any request to another host than this machine is aborted."""
    context = browser.new_context(viewport=viewport or VIEWPORT, locale="fr-FR")  # type: ignore[attr-defined]
    context.set_default_timeout(timeout_ms)
    context.add_init_script(RUN_TRACKER)  # type: ignore[attr-defined]
    context.route(
        "**/*",
        lambda route: route.continue_() if is_local(route.request.url) else route.abort(),
    )
    return context


def is_local(url: str) -> bool:
    """Tell whether a request stays on this machine (``data:`` and ``blob:`` URLs do)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


def is_tile(url: str) -> bool:
    """Tell whether a request is a basemap tile image (the only outside request allowed)."""
    host = urlsplit(url).hostname or ""
    return any(host == tile or host.endswith("." + tile) for tile in TILE_HOSTS)


def outside_requests(log: list[str], *, tiles_allowed: bool = True) -> list[str]:
    """Return the recorded requests that went to another host than this machine."""
    return [url for url in log if not is_local(url) and not (tiles_allowed and is_tile(url))]


# Installed in every page before the app's own scripts: follows the app's WebSocket to know
# whether a script run the browser asked for is still to come. It reads the top-level fields of
# Streamlit's protobuf messages: BackMsg.rerun_script (11) sent, ForwardMsg.new_session (4, a run
# starts), ForwardMsg.script_finished (6; status 2 is a run stopped early for the next one).
RUN_TRACKER = """(() => {
    window.__eitRun = {asked: false, started: false, finished: 0};
    const run = window.__eitRun;
    const fields = (bytes) => {
        const found = new Map();
        let at = 0;
        const varint = () => {
            let value = 0, shift = 0, byte;
            do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; }
            while (byte & 0x80 && at < bytes.length);
            return value;
        };
        while (at < bytes.length) {
            const key = varint(), field = Math.floor(key / 8), wire = key % 8;
            if (wire === 0) found.set(field, varint());
            else if (wire === 2) { const size = varint(); found.set(field, null); at += size; }
            else if (wire === 1) at += 8;
            else if (wire === 5) at += 4;
            else break;
        }
        return found;
    };
    const bytesOf = (data) => data instanceof ArrayBuffer ? new Uint8Array(data)
        : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : null;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener("message", (event) => {
                const bytes = bytesOf(event.data);
                if (bytes === null) return;
                const message = fields(bytes);
                if (message.has(4) && run.asked) run.started = true;
                if (message.has(6) && message.get(6) !== 2 && run.started) {
                    run.asked = false;
                    run.started = false;
                }
                if (message.has(6) && message.get(6) !== 2) run.finished += 1;
            });
        }
        send(data) {
            const bytes = bytesOf(data);
            if (bytes !== null && fields(bytes).has(11)) {
                run.asked = true;
                run.started = false;
            }
            return super.send(data);
        }
    };
})();"""
IDLE = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    const run = window.__eitRun;
    return run !== undefined && !run.asked && run.finished > 0 && app !== null
        && app.getAttribute("data-test-connection-state") === "CONNECTED"
        && app.getAttribute("data-test-script-state") === "notRunning"
        && document.querySelector("[data-testid='stMainBlockContainer'] *") !== null;
}"""
STATE = """() => [JSON.stringify(window.__eitRun), ...["connection", "script"].map((what) =>
    document.querySelector("[data-testid='stApp']")?.getAttribute(`data-test-${what}-state`))]"""
DRAWN = "() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))"


def wait_idle(page: object, timeout_ms: int = IDLE_MS) -> None:
    """Wait until every script run the page asked for has finished and been drawn.

    The page's WebSocket is followed (``RUN_TRACKER``, installed by ``offline_context``): after a
    click or a widget change, this returns once the run it asked for has started and finished,
    Streamlit shows itself connected and idle, and two frames have been drawn since. An action
    that asks for no run returns at once. A run asked for later (a debounced component) is not
    waited for: wait for what it shows instead.
    """
    try:
        page.wait_for_function(IDLE, timeout=timeout_ms)  # type: ignore[attr-defined]
    except PlaywrightTimeout as error:
        state = page.evaluate(STATE)  # type: ignore[attr-defined]
        msg = f"Streamlit not idle after {timeout_ms} ms: {state}"
        raise AssertionError(msg) from error
    page.evaluate(DRAWN)  # type: ignore[attr-defined]


def open_tab(page: object, name: str, timeout_ms: int = WAIT_MS) -> object:
    """Click the tab ``name`` of an ``st.tabs`` until it is the one shown; return the tab.

    A click that lands while Streamlit redraws the page (a rerun a component asked for after
    the page's own run) can be lost: click again until the tab says it is selected, up to
    ``timeout_ms``.
    """
    tab = page.get_by_role("tab", name=name)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        tab.click()
        try:
            expect(tab).to_have_attribute("aria-selected", "true", timeout=2_000)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        else:
            return tab


def tick(scope: object, option: str, timeout_ms: int = WAIT_MS) -> None:
    """Choose ``option`` of the radio buttons inside ``scope`` (a form, a column, a page).

    Only the radio group's own texts are searched: a table or a tooltip of the same form may
    show the same word. A click lost while Streamlit redraws is made again until the option
    says it is checked, up to ``timeout_ms``.
    """
    label = scope.get_by_role("radiogroup").get_by_text(option, exact=True)  # type: ignore[attr-defined]
    radio = scope.get_by_role("radiogroup").get_by_role("radio", name=option, exact=True)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        label.click()
        try:
            expect(radio).to_be_checked(timeout=2_000)
        except AssertionError:
            if time.monotonic() > deadline:
                raise
        else:
            return


def seen(page: object, text: str, timeout_ms: int = WAIT_MS) -> None:
    """Wait until the page shows ``text``, looked for at every drawn frame.

    For a notice shown by one run only: a run asked for just after (a map sending its view)
    takes it away, possibly before `expect`'s spaced retries look again.
    """
    page.wait_for_function(  # type: ignore[attr-defined]
        "(text) => document.body.innerText.includes(text)",
        arg=text,
        polling="raf",
        timeout=timeout_ms,
    )


SCROLL_STILL = """() => {
    const main = document.querySelector("[data-testid='stMain']");
    const at = main === null ? window.scrollY : main.scrollTop;
    const still = at === window.__eitScroll;
    window.__eitScroll = at;
    return still;
}"""


def scroll_still(page: object) -> None:
    """Wait until the page's main area has not scrolled between two animation frames."""
    page.evaluate("() => { window.__eitScroll = undefined; }")  # type: ignore[attr-defined]
    page.wait_for_function(SCROLL_STILL, polling="raf")  # type: ignore[attr-defined]


def open_app(page: object, base_url: str, path: str = "") -> None:
    """Open a page of the app (``""`` for home, ``"carte"``, ``"synergies"``…) and wait."""
    page.goto(f"{base_url}/{path}", wait_until="domcontentloaded")  # type: ignore[attr-defined]
    wait_idle(page)


def save_screenshot(page: object, name: str, *, full_page: bool = False) -> Path:
    """Save a PNG of the page as ``tests/artifacts/<name>.png`` and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path
