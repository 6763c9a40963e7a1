"""Who is at this browser, on a shared server, and what their role lets the pages show.

``eit-geo app --share`` signs people in before Streamlit sees them (`eit_geo.gate`); every run
of a page checks again here, from the session cookie the browser's WebSocket carried (codes) or
from ``st.user`` (the organisation's identity provider, ``st.login``), because a session
expires while its tab stays open. Not shared (``eit-geo app`` on 127.0.0.1, ``streamlit run``,
the tests), there is nobody to check: every right is given.
"""

from __future__ import annotations

import time

import streamlit as st

from eit_geo import auth
from eit_geo.formatting import format_time
from eit_geo.gate import COOKIE, SIGN_IN, SIGN_OUT, Gate, active
from eit_geo.panels import escape_markdown
from eit_geo.ui.state import language, tr

__all__ = [
    "identity",
    "may",
    "page_names",
    "require_sign_in",
    "shared",
    "show_identity",
]


def _gate() -> Gate | None:
    gate = active()
    return gate if gate is not None and gate.mode != "local" else None


def shared() -> bool:
    """Tell whether this server is shared with a room (someone must be signed in)."""
    return _gate() is not None


def _session_cookie() -> str | None:
    """Return the session cookie the browser sent with its WebSocket."""
    return st.context.cookies.get(COOKIE)


def _logged_in() -> bool:
    """Tell whether the identity provider signed this browser in (``st.user``)."""
    return bool(st.user.get("is_logged_in", False))


def _account() -> tuple[str | None, str, float | None] | None:
    """Return the identity provider's account: e-mail, name, when it signed in; None if out."""
    if not _logged_in():
        return None
    email = st.user.get("email")
    name = st.user.get("name") or email or ""
    issued = st.user.get("iat")
    return (
        str(email) if email else None,
        str(name),
        float(issued) if isinstance(issued, int | float) else None,
    )


def identity() -> auth.Identity | None:
    """Return who is signed in at this browser; None when nobody is (or nobody need be)."""
    gate = _gate()
    if gate is None:
        return None
    if gate.mode == "codes":
        return gate.identity(_session_cookie())
    account = _account()
    if account is None:
        return None
    email, name, issued = account
    role = gate.role_for_account(email)
    if role is None:
        return None
    lasts = gate.sessions.seconds if gate.sessions is not None else float("inf")
    started = issued if issued is not None else time.time()
    if time.time() >= started + lasts:
        return None
    return auth.Identity(role, auth.clean_name(name), started, started + lasts)


def may(right: str) -> bool:
    """Tell whether this browser's role has ``right`` (``data/roles.toml``); unshared: yes."""
    if not shared():
        return True
    who = identity()
    return who is not None and auth.may(who.role, right)


def page_names(names: list[str]) -> list[str]:
    """Return the pages of ``names`` this browser may see, its landing page first."""
    if not shared():
        return names
    who = identity()
    allowed = auth.role_pages(who.role) if who is not None else ()
    return [name for name in allowed if name in names]


def require_sign_in() -> auth.Identity | None:
    """Stop the run unless someone is signed in (shared server); return who it is.

    Call it first in ``app.py``, before anything of the zone is read or shown.
    """
    gate = _gate()
    if gate is None:
        return None
    who = identity()
    if who is not None:
        return who
    st.title(tr("access.title"))
    if gate.mode == "codes":
        ended = _session_cookie() is not None
        st.warning(tr("access.session_over" if ended else "access.sign_in_needed"))
        st.link_button(tr("access.sign_in_link"), f"{SIGN_IN}?expired=1" if ended else SIGN_IN)
    elif (account := _account()) is not None and gate.role_for_account(account[0]) is None:
        st.error(tr("access.oidc_refused"))
        st.button(tr("access.sign_out"), on_click=st.logout)
    else:
        st.info(tr("access.session_over" if _logged_in() else "access.oidc_intro"))
        st.button(tr("access.oidc_sign_in"), type="primary", on_click=st.login)
    st.stop()
    return None  # pragma: no cover - st.stop() ends the run


def show_identity() -> None:
    """Show in the sidebar who is signed in, until when, and how to leave."""
    who = identity()
    if who is None:
        return
    role = tr(f"access.role_{who.role}")
    with st.sidebar:
        st.markdown(tr("access.signed_in_as", name=escape_markdown(who.name) or "—", role=role))
        if who.expires < float("inf"):
            until = format_time(who.expires, language())
            st.caption(tr("access.session_until", time=until))
        gate = _gate()
        if gate is not None and gate.mode == "codes":
            st.link_button(tr("access.sign_out"), SIGN_OUT)
        else:
            st.button(tr("access.sign_out"), on_click=st.logout)
