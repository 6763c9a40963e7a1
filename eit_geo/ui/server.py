"""Serve the dashboard in this process: Streamlit's ASGI app behind the gate, asking no one.

``eit-geo app`` calls `serve`: ``app.py`` runs as a Streamlit ``st.App`` (uvicorn, in this
process: SIGTERM or Ctrl+C stops it, no child left behind) with `eit_geo.gate.GateMiddleware`
in front. Streamlit's lookups of the machine's addresses on outside hosts (``8.8.8.8``,
``checkip.amazonaws.com``, made to print an "External URL" and to judge cross-origin
WebSockets) are switched off first.
"""

from __future__ import annotations

import json
import signal
import sys
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from starlette.middleware import Middleware
from streamlit import net_util
from streamlit.runtime.pages_manager import PagesManager

from eit_geo.gate import Gate, GateMiddleware, activate

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["build_app", "oidc_configured", "quiet_lookups", "serve", "streamlit_options"]


def _no_address() -> None:
    """Stand in for Streamlit's address lookups: no address known, nothing asked."""
    return


def quiet_lookups() -> None:
    """Stop Streamlit from asking outside hosts for this machine's addresses.

    ``streamlit.net_util.get_internal_ip`` opens a socket towards 8.8.8.8 and
    ``get_external_ip`` asks checkip.amazonaws.com, both called through the module at each use;
    here they answer "unknown", which Streamlit treats as a failed lookup.
    """
    net_util.get_internal_ip = _no_address
    net_util.get_external_ip = _no_address


def oidc_configured(app_script: Path, cwd: Path | None = None) -> bool:
    """Tell whether a ``secrets.toml`` Streamlit reads has an ``[auth]`` section (``st.login``)."""
    places = [
        Path.home() / ".streamlit" / "secrets.toml",
        (cwd or Path.cwd()) / ".streamlit" / "secrets.toml",
        app_script.parent / ".streamlit" / "secrets.toml",
    ]
    for path in places:
        if path.is_file():
            with path.open("rb") as handle:
                if "auth" in tomllib.load(handle):
                    return True
    return False


def streamlit_options(gate: Gate, *, address: str, port: int | None) -> dict[str, object]:
    """Return the Streamlit settings of a server behind ``gate`` listening on ``address``."""
    options: dict[str, object] = {
        "server.address": address,
        "server.headless": True,
        "server.enableStaticServing": True,
        "server.fileWatcherType": "none",
        "server.allowedHosts": sorted(gate.hosts),
        "server.enableXsrfProtection": True,
        "server.enableCORS": True,
        "browser.gatherUsageStats": False,
        "browser.serverAddress": "localhost",
        # shared: no CSV button on tables (downloads are the role-gated export buttons)
        "client.disableDataExport": gate.mode != "local",
    }
    if port is not None:
        options["server.port"] = port
    return options


def streamlit_account(cookies: dict[str, str]) -> str | None:
    """Return the e-mail of the account Streamlit's signed identity cookie holds, or None.

    The cookie ``st.login`` sets, checked as Streamlit checks it (its signature, with the
    ``[auth]`` secret); any failure reads as nobody signed in.
    """
    try:
        from streamlit.web.server.starlette.starlette_server_config import (  # noqa: PLC0415
            USER_COOKIE_NAME,
        )
        from streamlit.web.server.starlette.starlette_websocket import (  # noqa: PLC0415
            _get_signed_cookie_with_chunks,
        )

        value = _get_signed_cookie_with_chunks(cookies, USER_COOKIE_NAME)
        payload = json.loads(value) if value is not None else {}
    except (ImportError, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or not payload.get("is_logged_in"):
        return None
    return str(payload.get("email") or "")


def build_app(app_script: Path, gate: Gate) -> st.App:
    """Return ``app_script`` as a Streamlit ASGI app behind ``gate`` (made the active gate)."""
    quiet_lookups()
    # app.py always runs first, its navigation holding the role's pages only: with a pages/
    # folder beside it, Streamlit would otherwise start in its old "pages folder" mode and list
    # every page to the first browser (see state.ensure_frame).
    PagesManager.uses_pages_directory = False
    if gate.mode == "oidc" and gate.account_of is None:
        gate.account_of = streamlit_account
    activate(gate)
    return st.App(str(app_script), middleware=[Middleware(GateMiddleware, gate=gate)])


def serve(
    app_script: Path, gate: Gate, *, address: str = "127.0.0.1", port: int | None = None
) -> None:
    """Serve ``app_script`` behind ``gate`` until SIGTERM or Ctrl+C (blocks).

    Parameters
    ----------
    app_script
        The dashboard's ``app.py``: its folder's ``.streamlit`` settings apply.
    gate
        Host allow-list and sign-in (`eit_geo.gate`).
    address
        Where to listen: ``127.0.0.1`` (this machine only) or ``::`` / ``0.0.0.0`` (the room).
    port
        HTTP port (Streamlit's default 8501, or the next free one, when None).
    """
    app = build_app(app_script, gate)
    options: Mapping[str, object] = streamlit_options(gate, address=address, port=port)
    sys.argv = [str(app_script)]  # App.run anchors settings and secrets on sys.argv[0]
    # uvicorn stops the server on SIGTERM or SIGINT, then raises the signal again for the
    # handler found before it: end quietly there, the server already closed.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        app.run(config=options)
    except (KeyboardInterrupt, _Stopped):
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("eit-geo : serveur arrêté / server stopped", flush=True)


class _Stopped(Exception):  # noqa: N818 - not an error: the server was asked to stop
    """SIGTERM, raised again by uvicorn once the server has shut down."""


def _stopped(signum: int, frame: object) -> None:
    del signum, frame
    raise _Stopped
