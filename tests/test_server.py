"""``eit-geo app`` as a process: where it listens, how it stops, whom it asks for nothing.

Each test starts the real command (``start_app``, tests/conftest.py) on a free port.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
from pathlib import Path
from urllib.parse import urlencode

import psutil
import pytest
from servers import REPO, ServerProcess, streamlit_run, wait_until
from streamlit.web.server.starlette import starlette_app_utils, starlette_websocket

from eit_geo.gate import LOCAL_HOSTS, Gate, local_gate, machine_addresses
from eit_geo.ui.server import streamlit_account, streamlit_options

CODES = {
    "EIT_GEO_CODE_FACILITATOR": "anim-2026-kalundborg",
    "EIT_GEO_CODE_PARTICIPANT": "salle-verte-42",
    "EIT_GEO_CODE_OBSERVER": "elus-du-jeudi",
}

# Loaded by every Python process started with this folder on PYTHONPATH: records each attempt to
# reach a host that is not this machine (name lookups, connections, datagrams) in a file.
NET_MONITOR = """
import os, sys
_LOG = os.environ["EIT_GEO_TEST_NET_LOG"]
_HERE = {None, "", "localhost", "0.0.0.0", "::", "::1", "127.0.0.1"}

def _host(value):
    if isinstance(value, tuple):
        return str(value[0])
    return value if isinstance(value, str) else None

def _watch(event, args):
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        host = _host(args[1]) if len(args) > 1 else None
    elif event == "socket.getaddrinfo":
        host = _host(args[0])
    else:
        return
    if host in _HERE or (host or "").startswith(("127.", "/")):
        return
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(f"{event} {host}\\n")

sys.addaudithook(_watch)
"""


def _listening(pid: int) -> set[tuple[str, int]]:
    sockets = psutil.Process(pid).net_connections(kind="inet")
    return {(s.laddr.ip, s.laddr.port) for s in sockets if s.status == psutil.CONN_LISTEN}


def _reachable(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        return sock.connect_ex((address, port)) == 0


def _other_addresses() -> list[str]:
    """This machine's addresses that are not loopback (nor link-local, which need a scope)."""
    return [a for a in machine_addresses() if a not in LOCAL_HOSTS and not a.startswith("fe80")]


def test_listens_on_this_machine_only(start_app) -> None:
    app = start_app()
    assert _listening(app.process.pid) == {("127.0.0.1", app.port)}
    assert _reachable("127.0.0.1", app.port)
    for address in _other_addresses():
        assert not _reachable(address, app.port), address


def test_share_listens_on_every_interface(start_app) -> None:
    app = start_app("--share", env=CODES)
    wildcard = {ip for ip, _ in _listening(app.process.pid)}
    assert wildcard & {"::", "0.0.0.0"}  # noqa: S104 - what --share must do
    for address in _other_addresses():
        assert _reachable(address, app.port), address
    assert "salle-verte-42" not in app.log_text()  # codes from the environment are not printed


def test_share_prints_generated_codes_once(start_app) -> None:
    app = start_app("--share")
    text = app.log_text()
    for role in ("facilitator", "participant", "observer"):
        assert f"/ {role}" in text
    assert text.count("affichés une seule fois") == 1


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_a_signal_stops_the_server_and_leaves_nothing(start_app, sig: signal.Signals) -> None:
    app = start_app()
    browser = _open_websocket(app.port)  # a browser still connected does not hold it up
    process = psutil.Process(app.process.pid)
    family = [process, *process.children(recursive=True)]
    code = app.stop(sig, timeout=30)
    browser.close()
    assert code == 0, app.log_text()  # stopped by itself, quietly (no traceback, not killed)
    assert "Traceback" not in app.log_text()
    assert app.log_text().rstrip().endswith("server stopped")
    # every process of the server ends on its own (a zombie has ended: its parent reaps it)
    wait_until(lambda: _running(family) == [], timeout=30, what="the server's processes ending")
    assert not _reachable("127.0.0.1", app.port)


def _running(processes: list[psutil.Process]) -> list[int]:
    """Return the ids of ``processes`` still running (a zombie has ended)."""
    running = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                running.append(process.pid)
        except psutil.NoSuchProcess:
            continue
    return running


def _open_websocket(port: int) -> socket.socket:
    """Open Streamlit's WebSocket and keep it open, as a browser tab does."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: http://127.0.0.1:{port}\r\n\r\n".encode()
    )
    assert sock.recv(4096).startswith(b"HTTP/1.1 101")
    return sock


def _websocket(port: int, *, origin: str | None, host: str = "", cookie: str = "") -> int:
    """Open Streamlit's WebSocket by hand; return the handshake's HTTP status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {
        "Host": host or f"127.0.0.1:{port}",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    if origin is not None:
        headers["Origin"] = origin
    if cookie:
        headers["Cookie"] = cookie
    connection.request("GET", "/_stcore/stream", headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def _sign_in(port: int, code: str, name: str) -> str:
    """Sign in through the form; return the session cookie (``name=value``)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = urlencode({"code": code, "name": name, "next": "/", "lang": "fr"})
    connection.request(
        "POST",
        "/signin",
        body=body,
        headers={
            "Host": f"127.0.0.1:{port}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://127.0.0.1:{port}",
        },
    )
    reply = connection.getresponse()
    assert reply.status == 303, reply.read()
    cookie = reply.getheader("Set-Cookie") or ""
    connection.close()
    return cookie.split(";")[0]


@pytest.fixture
def net_monitor(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """Environment that loads `NET_MONITOR` in the server, and the file it writes to."""
    folder = tmp_path / "monitor"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(NET_MONITOR, encoding="utf-8")
    log = tmp_path / "outside.log"
    env = {"PYTHONPATH": str(folder), "EIT_GEO_TEST_NET_LOG": str(log)}
    return env, log


def _outside(log: Path) -> list[str]:
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_no_outside_host_is_asked_anything(start_app, net_monitor) -> None:
    env, log = net_monitor
    app = start_app("--share", env={**env, **CODES})
    evil = "http://evil.example"
    assert _websocket(app.port, origin=evil) == 403
    assert _websocket(app.port, origin=f"http://127.0.0.1:{app.port}") == 403  # not signed in
    cookie = _sign_in(app.port, CODES["EIT_GEO_CODE_PARTICIPANT"], "Anne Martin")
    assert _websocket(app.port, origin=evil, cookie=cookie) == 403  # signed in, other origin
    assert _websocket(app.port, origin=f"http://127.0.0.1:{app.port}", cookie=cookie) == 101
    rebound = "attacker.example:8501"  # DNS rebinding: a page of another site on this address
    assert _websocket(app.port, origin=f"http://{rebound}", host=rebound, cookie=cookie) == 403
    assert _outside(log) == []  # looked up while answering, if ever (see the control below)


def test_local_app_refuses_cross_origin_and_foreign_hosts(start_app, net_monitor) -> None:
    env, log = net_monitor
    app = start_app(env=env)
    assert _websocket(app.port, origin="http://evil.example") == 403
    assert _websocket(app.port, origin=f"http://127.0.0.1:{app.port}") == 101
    rebound = "attacker.example:8501"
    assert _websocket(app.port, origin=f"http://{rebound}", host=rebound) == 403
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
    connection.request("GET", "/", headers={"Host": rebound})
    assert connection.getresponse().status == 400
    connection.close()
    assert _outside(log) == []  # looked up while answering, if ever (see the control below)


@pytest.mark.process
def test_the_monitor_sees_what_plain_streamlit_asks(tmp_path: Path, net_monitor) -> None:
    """Control: the same cross-origin attempt on ``streamlit run app.py`` (without eit-geo's
    server) makes Streamlit look this machine up on outside hosts, and the monitor sees it.

    Streamlit checks the origin before it answers the handshake, so the lookups are in the log
    once the answer is back: the tests above read the log right after their last answer.
    """
    env, log = net_monitor
    server = ServerProcess(
        streamlit_run, env=env, log_path=lambda _port: tmp_path / "streamlit.log", cwd=REPO
    )
    try:
        _websocket(server.port, origin="http://evil.example")
        seen = _outside(log)
    finally:
        server.stop()
    assert seen != []


def test_streamlit_identity_cookie_is_checked_as_streamlit_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(starlette_websocket, "get_cookie_secret", lambda: "s" * 32)
    payload = json.dumps({"is_logged_in": True, "email": "anne@cci.fr", "origin": "http://x"})
    signed = starlette_app_utils.create_signed_value("s" * 32, "_streamlit_user", payload)
    assert streamlit_account({"_streamlit_user": signed.decode("latin-1")}) == "anne@cci.fr"
    forged = starlette_app_utils.create_signed_value("o" * 32, "_streamlit_user", payload)
    assert streamlit_account({"_streamlit_user": forged.decode("latin-1")}) is None
    assert streamlit_account({}) is None


def test_shared_tables_offer_no_csv_button() -> None:
    local = streamlit_options(local_gate(), address="127.0.0.1", port=None)
    assert local["client.disableDataExport"] is False
    assert local["server.allowedHosts"] == ["127.0.0.1", "::1", "localhost"]
    assert local["browser.gatherUsageStats"] is False
    shared = Gate("codes", frozenset({"atelier.local"}))
    options = streamlit_options(shared, address="::", port=8501)
    assert options["client.disableDataExport"] is True
    assert options["server.allowedHosts"] == ["atelier.local"]
    assert options["server.port"] == 8501
