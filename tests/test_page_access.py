"""AppTest of a shared server's pages: nothing before sign-in, each role its pages and exports.

The gate the server would run is made active here; the session cookie the browser's WebSocket
would carry is handed to `eit_geo.ui.access` (AppTest sends no cookies).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from eit_geo import auth, gate, store
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone
from eit_geo.ui import access

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
PAGES = ("accueil", "carte", "synergies", "indicateurs", "atelier", "suivi", "presentation")
EVERY_PAGE = (*PAGES, "donnees")
NAMES = [str(n) for n in load_zone(example_path("kalundborg")).companies["name"]]


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'decisions.sqlite'}"
    monkeypatch.setenv(store.DATABASE_ENV, url)
    return url


@pytest.fixture
def sessions() -> Iterator[auth.Sessions]:
    made = auth.Sessions(b"k" * 32, minutes=60)
    gate.activate(gate.Gate("codes", frozenset({"localhost"}), sessions=made))
    yield made
    gate.activate(None)


@pytest.fixture
def browser_cookie(monkeypatch: pytest.MonkeyPatch) -> Callable[[str | None], None]:
    # A private helper replaced, on purpose: the page reads the cookie from st.context, which
    # AppTest cannot fill (it sends no cookies); the e2e tests sign in with a real cookie.
    def give(token: str | None) -> None:
        monkeypatch.setattr(access, "_session_cookie", lambda: token)

    return give


def run_app(page: str | None = None, user: dict[str, object] | None = None) -> AppTest:
    """Run the app (then ``page``) as a browser would; ``user``: what the identity provider says."""
    app = AppTest.from_file(APP, default_timeout=180)
    if user is not None:
        app.user = user
    app.session_state["zone_source"] = str(example_path("kalundborg"))
    app.run()
    if page is not None:
        app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def shown_text(app: AppTest) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption]
    parts += [t.value for t in app.title] + [h.value for h in app.header]
    parts += [f"{m.label} {m.value}" for m in app.metric]
    parts += [a.value for a in (*app.warning, *app.info, *app.error, *app.success)]
    parts += [str(w.proto) for w in app.get("component_instance")]
    parts += [str(d.value) for d in app.dataframe]
    return "\n".join(parts)


def downloads(app: AppTest) -> set[str]:
    return {button.proto.label for button in app.get("download_button")}


def test_nothing_of_the_zone_before_sign_in(sessions, browser_cookie, database) -> None:
    del sessions, database
    browser_cookie(None)
    app = run_app()
    text = shown_text(app)
    assert "Cet atelier est réservé à ses participants" in text
    assert "Kalundborg" not in text
    assert not any(name in text for name in NAMES)
    assert app.get("link_button")[0].proto.url == "/signin"
    app.switch_page("pages/carte.py").run()  # a page asked for by itself stops as well
    assert "Cet atelier est réservé à ses participants" in shown_text(app)
    assert not any(name in shown_text(app) for name in NAMES)


def test_expired_session_shows_nothing(sessions, browser_cookie, database) -> None:
    del database
    clock = [1_800_000_000.0]
    short = auth.Sessions(b"k" * 32, minutes=1, clock=lambda: clock[0])
    token = short.issue("facilitator", "Anne")
    gate.activate(gate.Gate("codes", frozenset({"localhost"}), sessions=short))
    clock[0] += 61
    browser_cookie(token)
    app = run_app()
    assert "Votre session a pris fin" in shown_text(app)
    assert not any(name in shown_text(app) for name in NAMES)
    del sessions


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("facilitator", EVERY_PAGE),
        ("participant", tuple(p for p in PAGES if p != "suivi")),
        ("observer", ("presentation",)),
    ],
)
def test_each_role_sees_its_pages(
    sessions: auth.Sessions, browser_cookie, database, role: str, pages: tuple[str, ...]
) -> None:
    del database
    browser_cookie(sessions.issue(role, "Anne Martin"))
    app = run_app()
    for page in EVERY_PAGE:
        if page in pages:
            app.switch_page(f"pages/{page}.py")
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                app.switch_page(f"pages/{page}.py")
    sidebar = "\n".join(m.value for m in app.sidebar.markdown)
    assert "**Anne Martin**" in sidebar


def test_observer_lands_on_the_anonymised_presentation(sessions, browser_cookie, database) -> None:
    del database
    browser_cookie(sessions.issue("observer", ""))
    app = run_app()
    text = shown_text(app)
    assert app.title[0].value.startswith("Synergies industrielles")
    assert "Vue anonymisée" in text
    assert not any(name in text for name in NAMES)
    assert [t.key for t in app.toggle] == ["presentation_fullscreen"]  # no way to show names
    assert app.sidebar.selectbox == []  # no zone picker either


def test_participant_decides_under_the_name_signed_in(sessions, browser_cookie, database) -> None:
    browser_cookie(sessions.issue("participant", "Anne Martin (CCI)"))
    app = run_app("atelier")
    assert [t.key for t in app.sidebar.text_input] == []  # nobody types a name here
    assert downloads(app) == {"Rapport anonymisé (HTML)"}
    assert app.sidebar.selectbox == []
    candidate = "forsyning>refinery:process_water>process_water"
    app.selectbox(key="atelier_chosen_input").set_value(candidate).run()
    form = f"atelier_status_0_{candidate}"
    app.radio(key=form).set_value("retained")
    next(b for b in app.button if b.label == "Enregistrer la décision").click().run()
    assert not app.exception, app.exception
    engine = store.open_store(database)
    key = store.zone_key(load_zone(example_path("kalundborg")))
    decision = store.get_decisions(engine, key).set_index("candidate_id").loc[candidate]
    assert decision["participant"] == "Anne Martin (CCI)"


def test_facilitator_has_every_export(sessions, browser_cookie, database) -> None:
    del database
    browser_cookie(sessions.issue("facilitator", "Paul"))
    app = run_app("atelier")
    assert len(downloads(app)) == 7
    assert app.sidebar.selectbox  # may pick another zone


def test_identity_provider_sign_in(
    browser_cookie, database, monkeypatch: pytest.MonkeyPatch
) -> None:
    del database, browser_cookie
    calls: list[object] = []
    monkeypatch.setattr(streamlit, "login", lambda provider=None: calls.append(provider))
    oidc = gate.Gate("oidc", frozenset({"localhost"}), sessions=auth.Sessions(b"k", 60))
    gate.activate(oidc)
    try:
        app = run_app()
        text = shown_text(app)
        assert "réservé aux comptes de l'organisation" in text
        assert not any(name in text for name in NAMES)
        app.button[0].click().run()
        assert calls == [None]  # st.login() with the [auth] settings of secrets.toml
    finally:
        gate.activate(None)


def test_identity_provider_accounts_get_their_roles(database) -> None:
    del database
    oidc = gate.Gate(
        "oidc",
        frozenset({"localhost"}),
        sessions=auth.Sessions(b"k", 60),
        oidc_roles={"elu@ville.fr": "observer"},
        oidc_default=None,  # EIT_GEO_PARTICIPANTS lists accounts: nobody else comes in
    )
    gate.activate(oidc)
    account = {"is_logged_in": True, "email": "elu@ville.fr", "name": "M. le Maire"}
    account["iat"] = time.time()
    try:
        app = run_app(user=account)
        assert app.title[0].value.startswith("Synergies industrielles")  # the presentation
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app.switch_page("pages/carte.py")
        account["iat"] = time.time() - 3601  # signed in more than the session's hour ago
        app = run_app(user=account)
        assert "Votre session a pris fin" in shown_text(app)
        account.update(email="inconnu@ailleurs.fr", iat=time.time())
        app = run_app(user=account)
        assert "Votre compte n'a pas accès à cet atelier" in shown_text(app)
        assert not any(name in shown_text(app) for name in NAMES)
    finally:
        gate.activate(None)
