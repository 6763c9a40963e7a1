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

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browsing import offline_context, open_app, outside_requests, save_screenshot, wait_idle
from servers import AppServer

DEFAULT_ZONE = "kalundborg"


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
    context = offline_context(browser)
    new_page = context.new_page()
    new_page.on("request", lambda req: request_log.append(req.url))
    yield new_page
    context.close()


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
