"""The door of the server: a host allow-list, same-origin WebSockets and, shared, a sign-in.

`GateMiddleware` is an ASGI middleware that ``eit-geo app`` puts in front of Streamlit
(`eit_geo.ui.server`). Every request and WebSocket must name an allowed host (no DNS
rebinding); a WebSocket must come from the page's own origin (Streamlit would otherwise look
the machine's addresses up on outside hosts to judge it). When the room shares the server with
access codes, nothing but the sign-in page and the health check answers a browser without a
valid session cookie: no page, no script, no static file, no download, no WebSocket.
"""

from __future__ import annotations

import asyncio
import html
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from functools import cache
from http.cookies import CookieError, SimpleCookie
from typing import Any, Literal
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape

from eit_geo import auth
from eit_geo.datafiles import data_path
from eit_geo.i18n import DEFAULT_LANGUAGE, LANGUAGES, t

__all__ = [
    "ALLOWED_HOSTS_ENV",
    "COOKIE",
    "LOCAL_HOSTS",
    "ROLE_ACCOUNTS_ENV",
    "Gate",
    "GateMiddleware",
    "activate",
    "active",
    "host_name",
    "local_gate",
    "machine_addresses",
    "page_url",
    "share_gate",
    "shared_hosts",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "eit_geo_session"
SIGN_IN = "/signin"
SIGN_OUT = "/signout"
HEALTH = "/_stcore/health"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_FORM_BYTES = 4096
ALLOWED_HOSTS_ENV = "EIT_GEO_ALLOWED_HOSTS"
ROLE_ACCOUNTS_ENV = {
    "facilitator": "EIT_GEO_FACILITATORS",
    "observer": "EIT_GEO_OBSERVERS",
    "participant": "EIT_GEO_PARTICIPANTS",
}
_ASSET_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/")
_ZONE_FILES = ("/media/", "/app/static/")  # downloads; Leaflet, a local basemap's tiles
_PAGE_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # no-referrer would make the form's Origin "null"
    (
        b"content-security-policy",
        b"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        b"frame-ancestors 'none'; base-uri 'none'",
    ),
]


@dataclass
class Gate:
    """What the door checks.

    Parameters
    ----------
    mode
        ``local`` (no sign-in: the person at the keyboard), ``codes`` (one access code per
        role) or ``oidc`` (the organisation's identity provider, through Streamlit's
        ``st.login``).
    hosts
        Host names and addresses the server answers to; ``*`` for any.
    codes, sessions
        The access codes and the session tokens (``codes`` mode).
    throttle
        Failed sign-ins allowed per client and minute.
    oidc_roles
        ``{email: role}`` for ``oidc`` mode; other signed-in accounts get ``oidc_default``
        (None refuses them).
    account_of
        ``oidc`` mode: reads the e-mail of the account signed in from a request's cookies
        (Streamlit's signed identity cookie), None if nobody is; without it, no static file or
        download is served in that mode.
    """

    mode: Literal["local", "codes", "oidc"]
    hosts: frozenset[str]
    codes: auth.AccessCodes | None = None
    sessions: auth.Sessions | None = None
    throttle: auth.Throttle = field(default_factory=lambda: auth.Throttle(failures=10))
    oidc_roles: dict[str, str] = field(default_factory=dict)
    oidc_default: str | None = "participant"
    account_of: Callable[[dict[str, str]], str | None] | None = None

    def host_allowed(self, host: str | None) -> bool:
        """Tell whether a ``Host`` header names this server."""
        name = host_name(host)
        return name is not None and ("*" in self.hosts or name in self.hosts)

    def identity(self, token: str | None) -> auth.Identity | None:
        """Return who holds a session token (``codes`` mode), or None."""
        return self.sessions.read(token) if self.sessions is not None else None

    def role_for_account(self, email: str | None) -> str | None:
        """Return the role of an identity provider's account (``oidc`` mode), or None."""
        if email and email.strip().lower() in self.oidc_roles:
            return self.oidc_roles[email.strip().lower()]
        return self.oidc_default


_ACTIVE: list[Gate] = []


def activate(gate: Gate | None) -> None:
    """Make ``gate`` the one the pages of this process consult (`active`); None for no gate."""
    _ACTIVE[:] = [] if gate is None else [gate]


def active() -> Gate | None:
    """Return the gate of the server running in this process, or None (not started by us)."""
    return _ACTIVE[0] if _ACTIVE else None


def host_name(host: str | None) -> str | None:
    """Return the host name of a ``Host`` header, lower case, without port or brackets."""
    if not host:
        return None
    try:
        parts = urlsplit(f"//{host.strip()}")
        _ = parts.port  # a port that is not a number is refused
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.path:
        return None
    return parts.hostname.lower().rstrip(".")


def page_url(page: str) -> str:
    """Return the URL path of a page of ``app.py`` (``accueil`` is the home page)."""
    return "/" if page == "accueil" else f"/{page}"


class GateMiddleware:
    """ASGI middleware: host allow-list, same-origin WebSockets, sign-in (see the module).

    Parameters
    ----------
    app
        The application behind the door (Streamlit's).
    gate
        What to check.
    """

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app, self.gate = app, gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let the request through, or answer it here."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if not self.gate.host_allowed(headers.get("host")):
            await _refuse(scope, receive, send, 400, "Host not allowed")
            return
        if scope["type"] == "websocket" and not _same_origin(headers):
            await _refuse(scope, receive, send, 403, "Cross-origin WebSocket refused")
            return
        if self.gate.mode == "codes" and not await self._signed_in(scope, receive, send, headers):
            return
        if self.gate.mode == "oidc" and not self._account_may_fetch(scope["path"], headers):
            await _refuse(scope, receive, send, 401, "Sign in first")
            return
        await self.app(scope, receive, send)

    def _account_may_fetch(self, path: str, headers: dict[str, str]) -> bool:
        """``oidc`` mode: files of the zone (static files, downloads) need an account with a role.

        Streamlit's own page, scripts and WebSocket must load for ``st.login`` to run; the
        pages themselves show nothing before (`eit_geo.ui.access`).
        """
        if not path.startswith(_ZONE_FILES):
            return True
        account = self.gate.account_of(_cookies(headers)) if self.gate.account_of else None
        return account is not None and self.gate.role_for_account(account) is not None

    async def _signed_in(self, scope: Scope, receive: Receive, send: Send, headers: dict) -> bool:
        """Serve the sign-in pages; return True when the request may go on to the app."""
        path = scope["path"]
        if scope["type"] == "http" and path == SIGN_IN:
            await self._sign_in(scope, receive, send, headers)
            return False
        if scope["type"] == "http" and path == SIGN_OUT:
            await _redirect(send, f"{SIGN_IN}?gone=1", cookie=_cookie_header("", 0))
            return False
        if path == HEALTH or self.gate.identity(_cookie(headers)) is not None:
            return True
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and _is_page(path):
            why = "&expired=1" if _cookie(headers) else ""
            await _redirect(send, f"{SIGN_IN}?next={quote(path)}{why}")
        else:
            await _refuse(scope, receive, send, 401, "Sign in first")
        return False

    async def _sign_in(self, scope: Scope, receive: Receive, send: Send, headers: dict) -> None:
        query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        lang = _language(query.get("lang"), headers.get("accept-language"))
        form = {"next": query.get("next", "/"), "name": ""}
        note = ""
        if query.get("expired"):
            note = t("access.expired", lang)
        elif query.get("gone"):
            note = t("access.signed_out", lang)
        if scope["method"] == "GET":
            await _page(send, 200, _sign_in_page(lang, form, note, note=True))
            return
        if scope["method"] != "POST" or not _same_origin(headers):
            await _refuse(scope, receive, send, 403, "Refused")
            return
        body = await _read_body(receive)
        fields = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        lang = _language(fields.get("lang"), None)
        form = {"next": fields.get("next", "/"), "name": auth.clean_name(fields.get("name", ""))}
        client = (scope.get("client") or ("?",))[0]
        if self.gate.throttle.blocked(client):
            await _page(send, 429, _sign_in_page(lang, form, t("access.too_many", lang)))
            return
        codes = self.gate.codes
        typed = fields.get("code", "")[:64]
        role = await asyncio.to_thread(codes.role_of, typed) if codes is not None else None
        if role is None:
            self.gate.throttle.failed(client)
            await _page(send, 401, _sign_in_page(lang, form, t("access.wrong_code", lang)))
            return
        if role != "observer" and not form["name"]:
            await _page(send, 400, _sign_in_page(lang, form, t("access.name_needed", lang)))
            return
        sessions = self.gate.sessions
        if sessions is None:  # pragma: no cover - a codes gate always has sessions
            await _refuse(scope, receive, send, 500, "No sessions")
            return
        token = sessions.issue(role, form["name"])
        target = _safe_next(form["next"], role)
        await _redirect(send, target, cookie=_cookie_header(token, int(sessions.seconds)))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _same_origin(headers: dict[str, str]) -> bool:
    """Tell whether a request's ``Origin`` (if any) is the server it is sent to."""
    origin = headers.get("origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return (
        parts.scheme in ("http", "https")
        and parts.netloc.lower() == headers.get("host", "").lower()
    )


def _cookies(headers: dict[str, str]) -> dict[str, str]:
    try:
        jar = SimpleCookie(headers.get("cookie", ""))
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def _cookie(headers: dict[str, str]) -> str | None:
    return _cookies(headers).get(COOKIE)


def _cookie_header(token: str, max_age: int) -> bytes:
    return f"{COOKIE}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax".encode()


def _is_page(path: str) -> bool:
    return not path.startswith(_ASSET_PREFIXES)


def _safe_next(target: str, role: str) -> str:
    """Return where to go after signing in: a path of this server, else the role's first page."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        target = "/"
    if target in ("/", SIGN_IN, SIGN_OUT):
        return page_url(auth.role_pages(role)[0])
    return target


def _language(asked: str | None, accept: str | None) -> str:
    if asked in LANGUAGES:
        return str(asked)
    first = (accept or "").split(",")[0].strip().lower()[:2]
    return first if first in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _templates() -> Environment:
    return Environment(
        loader=FileSystemLoader(data_path("access")),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )


_TEXTS = ("title", "heading", "intro", "code", "name", "name_help", "submit", "other_language")


def _sign_in_page(lang: str, form: dict[str, str], message: str, *, note: bool = False) -> str:
    other = next(code for code in LANGUAGES if code != lang)
    return (
        _templates()
        .get_template("signin.html")
        .render(
            lang=lang,
            texts={key: t(f"access.{key}", lang) for key in _TEXTS},
            message=message,
            note=note,
            name=form["name"],
            next=form["next"],
            other=other,
            other_url=f"{SIGN_IN}?{urlencode({'lang': other, 'next': form['next']})}",
        )
    )


async def _read_body(receive: Receive) -> bytes:
    """Read a request body of at most `MAX_FORM_BYTES` (the rest is dropped)."""
    body, more = b"", True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        if len(body) <= MAX_FORM_BYTES:
            body += message.get("body", b"")
        more = bool(message.get("more_body", False))
    return body[:MAX_FORM_BYTES]


async def _page(send: Send, status: int, text: str) -> None:
    await _respond(send, status, text.encode("utf-8"), _PAGE_HEADERS)


async def _redirect(send: Send, location: str, *, cookie: bytes | None = None) -> None:
    headers = [
        (b"location", location.encode("latin-1", "replace")),
        (b"cache-control", b"no-store"),
    ]
    if cookie is not None:
        headers.append((b"set-cookie", cookie))
    await _respond(send, 303, b"", headers)


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, reason: str) -> None:
    """Refuse a request (plain text) or a WebSocket handshake (HTTP 403 from the server)."""
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008, "reason": reason})
        return
    body = html.escape(reason).encode()
    await _respond(send, status, body, [(b"content-type", b"text/plain; charset=utf-8")])


async def _respond(
    send: Send, status: int, body: bytes, headers: Iterable[tuple[bytes, bytes]]
) -> None:
    all_headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": all_headers})
    await send({"type": "http.response.body", "body": body})


def machine_addresses() -> list[str]:
    """Return this machine's IP addresses on its network interfaces, loopback last.

    Read from the interfaces themselves (psutil): no packet leaves the machine.
    """
    import psutil  # noqa: PLC0415 - only a shared server needs it

    found: list[str] = []
    for entries in psutil.net_if_addrs().values():
        for entry in entries:
            address = str(entry.address).split("%")[0]
            if entry.family.name in ("AF_INET", "AF_INET6") and address not in found:
                found.append(address)
    return sorted(found, key=lambda a: (a in LOCAL_HOSTS or a.startswith("fe80"), ":" in a, a))


def shared_hosts(extra: Iterable[str] = ()) -> frozenset[str]:
    """Return the names a shared server answers to: this machine's names and addresses, ``extra``.

    ``extra`` comes from ``--allow-host`` and ``EIT_GEO_ALLOWED_HOSTS`` (comma-separated), e.g.
    the name or address participants type when the server runs in a container.
    """
    import socket  # noqa: PLC0415

    name = socket.gethostname().lower()
    names = {*LOCAL_HOSTS, name, f"{name}.local", *machine_addresses()}
    names |= {host_name(h) or h.strip().lower() for h in extra if h.strip()}
    return frozenset(names)


def share_gate(
    environ: MutableMapping[str, str],
    *,
    extra_hosts: Iterable[str] = (),
    minutes: float | None = None,
    oidc: bool = False,
) -> tuple[Gate, dict[str, str]]:
    """Return the gate of a shared server and the access codes generated (to print once).

    Codes come from ``EIT_GEO_CODE_<ROLE>`` (plain or Argon2 hashes) and are removed from
    ``environ`` once hashed; missing ones are generated. With ``oidc`` the organisation's
    identity provider signs people in instead, roles given by ``EIT_GEO_FACILITATORS``,
    ``EIT_GEO_OBSERVERS`` and ``EIT_GEO_PARTICIPANTS`` (comma-separated e-mails; ``*``, the
    default for participants, lets any other account in).
    """
    hosts = [*extra_hosts, *environ.get(ALLOWED_HOSTS_ENV, "").split(",")]
    if minutes is None:
        minutes = float(environ.get(auth.SESSION_ENV) or auth.DEFAULT_SESSION_MINUTES)
    if oidc:
        roles: dict[str, str] = {}
        for role, variable in ROLE_ACCOUNTS_ENV.items():
            for email in environ.get(variable, "").split(","):
                if email.strip() and email.strip() != "*":
                    roles.setdefault(email.strip().lower(), role)
        anyone = environ.get(ROLE_ACCOUNTS_ENV["participant"], "*").strip() in ("", "*")
        gate = Gate(
            "oidc",
            shared_hosts(hosts),
            oidc_roles=roles,
            oidc_default="participant" if anyone else None,
            sessions=auth.Sessions(secrets.token_bytes(32), minutes),
        )
        return gate, {}
    codes, generated = auth.AccessCodes.from_environment(environ)
    for variable in auth.CODE_ENV.values():
        environ.pop(variable, None)
    sessions = auth.Sessions(secrets.token_bytes(32), minutes)
    return Gate("codes", shared_hosts(hosts), codes=codes, sessions=sessions), generated


def local_gate(extra_hosts: Iterable[str] = ()) -> Gate:
    """Return the gate of a server for the person at the keyboard: local names, no sign-in."""
    return Gate("local", frozenset({*LOCAL_HOSTS, *(h.strip().lower() for h in extra_hosts)}))
