"""The door in front of Streamlit: allowed hosts, same-origin WebSockets, sign-in with a code."""

from __future__ import annotations

import asyncio
import html
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode

import pytest

from eit_geo import auth
from eit_geo.gate import COOKIE, Gate, GateMiddleware, host_name, local_gate, shared_hosts

HOST = "192.168.1.23:8501"
CODES = {"facilitator": "anim-1", "participant": "salle-42", "observer": "elus-7"}


@dataclass
class Reply:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    passed: bool = False  # reached the app behind the door
    closed: int | None = None  # WebSocket close code sent by the door

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def shown(self) -> str:
        """The text as a browser shows it (entities read)."""
        return html.unescape(self.text)


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def codes() -> auth.AccessCodes:
    return auth.AccessCodes({role: auth.hash_code(code) for role, code in CODES.items()})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gate(codes: auth.AccessCodes, clock: Clock) -> Gate:
    sessions = auth.Sessions(b"s" * 32, minutes=60, clock=clock)
    return Gate("codes", frozenset({"192.168.1.23", "localhost"}), codes=codes, sessions=sessions)


def request(
    gate: Gate,
    path: str = "/",
    *,
    method: str = "GET",
    kind: str = "http",
    host: str = HOST,
    origin: str | None = None,
    cookie: str = "",
    body: bytes = b"",
    query: str = "",
) -> Reply:
    reply = Reply()

    async def app(scope: dict, receive: object, send: object) -> None:
        del scope, receive, send
        reply.passed = True

    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": kind,
        "path": path,
        "method": method,
        "headers": headers,
        "query_string": query.encode(),
        "client": ("192.168.1.40", 51000),
    }
    messages = [
        {"type": "websocket.connect"}
        if kind == "websocket"
        else {"type": "http.request", "body": body, "more_body": False}
    ]

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            reply.status = message["status"]
            reply.headers = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            reply.body += message["body"]
        elif message["type"] == "websocket.close":
            reply.closed = message["code"]

    # A thread of its own: an earlier test (Playwright's sync API) may leave an event loop
    # running in this one, where asyncio.run refuses to start.
    worker = threading.Thread(
        target=asyncio.run, args=(GateMiddleware(app, gate)(scope, receive, send),)
    )
    worker.start()
    worker.join()
    return reply


def sign_in(gate: Gate, code: str, name: str = "Anne Martin", **extra: str) -> Reply:
    form = urlencode({"code": code, "name": name, "next": "/", "lang": "fr", **extra}).encode()
    return request(gate, "/signin", method="POST", body=form, origin=f"http://{HOST}")


def session_cookie(reply: Reply) -> str:
    return reply.headers["set-cookie"].split(";")[0]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("192.168.1.23:8501", "192.168.1.23"),
        ("LOCALHOST", "localhost"),
        ("[::1]:8501", "::1"),
        ("atelier.cci.fr.", "atelier.cci.fr"),
        ("evil.example:abc", None),
        ("user@evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_host_name(header: str | None, name: str | None) -> None:
    assert host_name(header) == name


def test_local_gate_refuses_other_hosts_and_origins() -> None:
    local = local_gate()
    assert request(local, host="127.0.0.1:8501").passed
    assert request(local, host="localhost:8501").passed
    rebound = request(local, host="attacker.example:8501")
    assert (rebound.status, rebound.passed) == (400, False)
    ws = request(local, "/_stcore/stream", kind="websocket", host="127.0.0.1:8501")
    assert ws.passed
    cross = request(
        local,
        "/_stcore/stream",
        kind="websocket",
        host="127.0.0.1:8501",
        origin="http://evil.example",
    )
    assert (cross.passed, cross.closed) == (False, 1008)


def test_shared_hosts_name_this_machine() -> None:
    hosts = shared_hosts(["atelier.cci.fr:8501", " Salle-B "])
    assert {"localhost", "127.0.0.1", "atelier.cci.fr", "salle-b"} <= hosts


@pytest.mark.parametrize(
    "path", ["/", "/carte", "/presentation", "/donnees", "/static/js/index.js"]
)
def test_nothing_before_sign_in(gate: Gate, path: str) -> None:
    reply = request(gate, path)
    assert not reply.passed
    if path.startswith("/static/"):
        assert reply.status == 401
    else:
        assert reply.status == 303
        assert reply.headers["location"] == f"/signin?next={path}"


@pytest.mark.parametrize(
    "path",
    [
        "/_stcore/host-config",
        "/_stcore/upload_file/x",
        "/media/abc.html",
        "/component/streamlit_folium.st_folium/index.html",
        "/app/static/vendor/leaflet/leaflet.js",
    ],
)
def test_no_asset_before_sign_in(gate: Gate, path: str) -> None:
    reply = request(gate, path)
    assert (reply.status, reply.passed) == (401, False)
    ws = request(gate, "/_stcore/stream", kind="websocket", origin=f"http://{HOST}")
    assert (ws.passed, ws.closed) == (False, 1008)


def test_health_is_open(gate: Gate) -> None:
    assert request(gate, "/_stcore/health").passed


def test_sign_in_page_shows_nothing_of_the_zone(gate: Gate) -> None:
    page = request(gate, "/signin", query="next=%2Fcarte")
    assert page.status == 200
    assert "Code d'accès" in page.shown
    assert 'name="next" value="/carte"' in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    english = request(gate, "/signin", query="lang=en")
    assert "Access code" in english.text


def test_sign_in_with_each_role(gate: Gate) -> None:
    landing = {"facilitator": "/", "participant": "/", "observer": "/presentation"}
    for role, code in CODES.items():
        reply = sign_in(gate, code, "" if role == "observer" else "Anne Martin")
        assert reply.status == 303, reply.text
        assert reply.headers["location"] == landing[role]
        cookie = reply.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Max-Age=3600" in cookie
        who = gate.identity(session_cookie(reply).split("=", 1)[1])
        assert who is not None
        assert who.role == role
        assert request(gate, "/carte", cookie=session_cookie(reply)).passed


def test_wrong_code_and_throttle(gate: Gate) -> None:
    reply = sign_in(gate, "salle-43")
    assert reply.status == 401
    assert "Ce code n'ouvre pas l'atelier" in reply.shown
    assert "set-cookie" not in reply.headers
    gate.throttle = auth.Throttle(failures=2)
    sign_in(gate, "x")
    sign_in(gate, "y")
    blocked = sign_in(gate, CODES["participant"])  # even the right code must wait
    assert blocked.status == 429
    assert "attendez une minute" in blocked.text


def test_participant_needs_a_name_and_it_is_escaped(gate: Gate) -> None:
    reply = sign_in(gate, CODES["participant"], "   ")
    assert reply.status == 400
    assert "Donnez votre nom" in reply.text
    hostile = sign_in(gate, "bad", '<script>alert("x")</script>')
    assert "<script>alert" not in hostile.text
    assert "&lt;script&gt;" in hostile.text


def test_sign_in_from_another_site_refused(gate: Gate) -> None:
    form = urlencode({"code": CODES["facilitator"], "name": "Eve"}).encode()
    reply = request(gate, "/signin", method="POST", body=form, origin="http://evil.example")
    assert reply.status == 403
    assert "set-cookie" not in reply.headers


@pytest.mark.parametrize("target", ["//evil.example/x", "http://evil.example/", "carte", "/signin"])
def test_sign_in_goes_nowhere_else(gate: Gate, target: str) -> None:
    reply = sign_in(gate, CODES["participant"], next=target)
    assert reply.headers["location"] == "/"


def test_expired_session_sends_back_to_sign_in(gate: Gate, clock: Clock) -> None:
    cookie = session_cookie(sign_in(gate, CODES["participant"]))
    assert request(gate, "/carte", cookie=cookie).passed
    clock.now += 3601
    reply = request(gate, "/carte", cookie=cookie)
    assert not reply.passed
    assert reply.headers["location"] == "/signin?next=/carte&expired=1"
    page = request(gate, "/signin", query="next=%2Fcarte&expired=1")
    assert "Votre session a pris fin" in page.text
    ws = request(gate, "/_stcore/stream", kind="websocket", origin=f"http://{HOST}", cookie=cookie)
    assert ws.closed == 1008


def test_sign_out(gate: Gate) -> None:
    reply = request(gate, "/signout", cookie=session_cookie(sign_in(gate, CODES["observer"], "")))
    assert reply.status == 303
    assert reply.headers["location"] == "/signin?gone=1"
    assert reply.headers["set-cookie"].startswith(f"{COOKIE}=;")
    assert "Max-Age=0" in reply.headers["set-cookie"]


def test_forged_cookie_refused(gate: Gate) -> None:
    other = auth.Sessions(b"o" * 32, minutes=60).issue("facilitator", "Eve")
    assert not request(gate, "/", cookie=f"{COOKIE}={other}").passed
    assert not request(gate, "/", cookie=f"{COOKIE}=garbage; other=1").passed


@pytest.fixture
def oidc() -> Gate:
    accounts = {"anne": "anne@cci.fr", "eve": "eve@ailleurs.fr"}
    return Gate(
        "oidc",
        frozenset({"192.168.1.23"}),
        oidc_roles={"anne@cci.fr": "facilitator"},
        oidc_default=None,
        account_of=lambda cookies: accounts.get(cookies.get("who", "")),
    )


def test_identity_provider_lets_streamlit_load_but_no_zone_file(oidc: Gate) -> None:
    assert request(oidc, "/").passed  # Streamlit's page must load for st.login to run
    assert request(oidc, "/static/js/index.js").passed
    ws = request(oidc, "/_stcore/stream", kind="websocket", origin=f"http://{HOST}")
    assert ws.passed
    for path in ("/app/static/basemaps/k/12/2180/1270.png", "/media/abc.pdf"):
        assert request(oidc, path).status == 401  # nobody signed in
        assert request(oidc, path, cookie="who=eve").status == 401  # an account without role
        assert request(oidc, path, cookie="who=anne").passed
    assert request(oidc, "/", host="evil.example").status == 400
