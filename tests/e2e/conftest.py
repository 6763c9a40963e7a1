"""Shared fixtures of the end-to-end tests: the app served by ``streamlit run``, headless Chromium.

Every test here runs the real app in Debian's Chromium **without internet**: any request to a
host other than 127.0.0.1 / localhost is aborted, as in a workshop room, and every request is
recorded so that a test can assert that nothing left the machine (basemap tiles excepted).

Use them from any page's tests (all are fixtures, nothing to import)::

    def test_my_page(page, open_page, outside, screenshot):
        open_page("carte")               # the app of the test's zone, waits for the script
        ...
        assert outside() == []           # no host but this machine (tiles excepted)
        screenshot("carte-kalundborg")   # tests/artifacts/carte-kalundborg.png

The app serves Kalundborg; for another zone (one server per zone, shared by the session)::

    @pytest.mark.parametrize("app_url", ["parc-rural"], indirect=True)
    def test_rural(page, open_page): ...

``wait_idle`` waits for a rerun after a click or a widget change.

Screenshots go to ``tests/artifacts/`` (git-ignored): look at them.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
TILE_HOSTS = ("tile.openstreetmap.org", "basemaps.cartocdn.com")
DEFAULT_ZONE = "kalundborg"
VIEWPORT = {"width": 1600, "height": 900}
STARTUP_TIMEOUT_S = 60.0


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``e2e`` (deselect them with ``-m "not e2e"``)."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def zone_source(zone: str) -> str:
    """Return what ``EIT_GEO_ZONE`` gets for ``zone``: a shipped example's folder, or a path."""
    example = REPO / "data" / "examples" / zone
    return str(example if example.is_dir() else Path(zone).resolve())


class AppServer:
    """One ``streamlit run app.py`` process on a free port, serving one zone."""

    def __init__(self, zone: str, log_dir: Path, env: dict[str, str] | None = None) -> None:
        self.zone = zone
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"streamlit-{Path(zone).name}-{self.port}.log"
        command = [
            sys.executable, "-m", "streamlit", "run", "app.py",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.headless", "true",
            "--browser.gatherUsageStats", "false",
            "--server.enableStaticServing", "true",
            "--server.fileWatcherType", "none",
        ]  # fmt: skip
        env = {
            **os.environ,
            "EIT_GEO_ZONE": zone_source(zone),
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self._wait_healthy()

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                msg = f"streamlit exited ({self.process.returncode}): {self.log_text()}"
                raise RuntimeError(msg)
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        msg = f"streamlit not healthy after {STARTUP_TIMEOUT_S} s: {self.log_text()}"
        raise RuntimeError(msg)

    def log_text(self) -> str:
        """Return what the server printed so far (for failure messages)."""
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]

    def stop(self) -> None:
        """Stop the server (this process only) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


@pytest.fixture(scope="session")
def app_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], AppServer]]:
    """Return ``start(zone) -> AppServer``: one server per zone, shared by the whole session."""
    servers: dict[str, AppServer] = {}
    log_dir = tmp_path_factory.mktemp("streamlit-logs")

    def start(zone: str = DEFAULT_ZONE) -> AppServer:
        if zone not in servers:
            servers[zone] = AppServer(zone, log_dir)
        return servers[zone]

    yield start
    for server in servers.values():
        server.stop()


@pytest.fixture
def app_url(request: pytest.FixtureRequest, app_servers: Callable[[str], AppServer]) -> str:
    """Base URL of the app serving the test's zone (parametrize with ``indirect=True``)."""
    return app_servers(getattr(request, "param", DEFAULT_ZONE)).url


@pytest.fixture
def request_log() -> list[str]:
    """URLs of every request the test's page made (filled by the ``page`` fixture)."""
    return []


@pytest.fixture
def page(browser: object, request_log: list[str]) -> Iterator[object]:
    """A fresh page, offline except for 127.0.0.1 / localhost, recording every request."""
    context = browser.new_context(viewport=VIEWPORT, locale="fr-FR")  # type: ignore[attr-defined]
    context.set_default_timeout(30_000)
    context.route(
        "**/*",
        lambda route: route.continue_() if is_local(route.request.url) else route.abort(),
    )
    new_page = context.new_page()
    new_page.on("request", lambda req: request_log.append(req.url))
    yield new_page
    context.close()


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


def wait_idle(page: object, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit is connected and has finished running the script.

    Call it right after a click or a widget change: it first gives the rerun time to start.
    """
    page.wait_for_timeout(250)  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        """() => {
            const app = document.querySelector("[data-testid='stApp']");
            return app !== null
                && app.getAttribute("data-test-connection-state") === "CONNECTED"
                && app.getAttribute("data-test-script-state") === "notRunning"
                && document.querySelector("[data-testid='stMainBlockContainer'] *") !== null;
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(300)  # type: ignore[attr-defined]


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


@pytest.fixture
def open_page(page: object, app_url: str) -> Callable[[str], None]:
    """Return ``open_page(path)``: open a page of the test's app and wait for its script."""
    return lambda path="": open_app(page, app_url, path)


@pytest.fixture
def idle(page: object) -> Callable[[], None]:
    """Return ``idle()``: wait until Streamlit has finished the current rerun."""
    return lambda: wait_idle(page)


@pytest.fixture
def outside(request_log: list[str]) -> Callable[[], list[str]]:
    """Return ``outside()``: the requests so far to another host (basemap tiles excepted)."""
    return lambda: outside_requests(request_log)


@pytest.fixture
def screenshot(page: object) -> Callable[..., Path]:
    """Return ``screenshot(name, full_page=False)``: save ``tests/artifacts/<name>.png``."""
    return lambda name, full_page=False: save_screenshot(page, name, full_page=full_page)
