"""Roles, access codes (Argon2), session tokens that expire, the sign-in throttle."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from eit_geo import auth


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_roles_pages_and_rights() -> None:
    assert auth.role_pages("observer") == ("presentation",)
    assert auth.role_pages("participant")[0] == "accueil"
    assert "donnees" not in auth.role_pages("participant")
    assert "donnees" in auth.role_pages("facilitator")
    assert auth.may("participant", "decide")
    assert auth.may("participant", "export_public_report")
    assert not auth.may("participant", "export_report")
    assert not auth.may("participant", "export_data")
    assert not auth.may("participant", "import_decisions")
    assert not auth.may("observer", "decide")
    assert not auth.may("observer", "name_companies")
    assert all(auth.may("facilitator", r) for r in ("export_data", "import_decisions"))
    assert auth.may(None, "export_data")  # not shared: the person at the keyboard


def test_new_codes_read_well_aloud() -> None:
    codes = {auth.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)


def test_codes_are_kept_hashed_and_typed_loosely() -> None:
    environ = {"EIT_GEO_CODE_PARTICIPANT": "salle-verte-42"}
    codes, generated = auth.AccessCodes.from_environment(environ)
    assert set(generated) == {"facilitator", "observer"}
    assert codes.role_of("salle-verte-42") == "participant"
    assert codes.role_of(" SALLE VERTE 42 ") == "participant"  # case, spaces, dashes ignored
    assert codes.role_of(generated["observer"].lower()) == "observer"
    assert codes.role_of("salle-verte-43") is None
    assert codes.role_of("") is None
    assert "salle-verte-42" not in repr(vars(codes))
    assert all(h.startswith("$argon2id$") for h in vars(codes)["_hashes"].values())


def test_a_hash_from_the_environment_is_used_as_is() -> None:
    hashed = auth.hash_code("7KQF-M2XP-9RTA")
    codes, generated = auth.AccessCodes.from_environment({"EIT_GEO_CODE_FACILITATOR": hashed})
    assert "facilitator" not in generated
    assert codes.role_of("7kqf m2xp 9rta") == "facilitator"


def test_unknown_role_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown role.*admin"):
        auth.AccessCodes({"admin": auth.hash_code("x")})


def test_sessions_expire() -> None:
    clock = Clock()
    sessions = auth.Sessions(b"k" * 32, minutes=30, clock=clock)
    token = sessions.issue("participant", "  Anne   Martin\n(CCI) ")
    who = sessions.read(token)
    assert who is not None
    assert (who.role, who.name) == ("participant", "Anne Martin (CCI)")
    assert who.expires - who.issued == 30 * 60
    clock.now += 29 * 60
    assert sessions.read(token) is not None
    clock.now += 61
    assert sessions.read(token) is None  # expired


def test_forged_or_foreign_tokens_refused() -> None:
    sessions = auth.Sessions(b"k" * 32, minutes=30)
    other = auth.Sessions(b"o" * 32, minutes=30)
    token = sessions.issue("observer", "")
    assert other.read(token) is None  # another server's key (or a restarted server)
    assert sessions.read(token[:-2] + "xx") is None
    assert sessions.read("") is None
    assert sessions.read(None) is None
    with pytest.raises(ValueError, match="unknown role"):
        sessions.issue("admin", "Eve")
    with pytest.raises(ValueError, match="positive"):
        auth.Sessions(b"k", minutes=0)


def test_throttle_blocks_a_client_for_a_while() -> None:
    clock = Clock(0.0)
    throttle = auth.Throttle(failures=3, window=60, clock=clock)
    for _ in range(3):
        assert not throttle.blocked("10.0.0.5")
        throttle.failed("10.0.0.5")
    assert throttle.blocked("10.0.0.5")
    assert not throttle.blocked("10.0.0.6")  # others go on
    clock.now = 61.0
    assert not throttle.blocked("10.0.0.5")


def test_clean_name() -> None:
    assert auth.clean_name("Anne\x00 \tMartin") == "Anne Martin"
    assert len(auth.clean_name("x" * 500)) == auth.MAX_NAME


def test_every_page_has_its_roles() -> None:
    """A new page must be given to roles in data/roles.toml, or a shared server hides it."""
    pages = {path.stem for path in (Path(__file__).resolve().parents[1] / "pages").glob("*.py")}
    assert set(auth.role_pages("facilitator")) == pages
    for role in auth.ROLES:
        assert set(auth.role_pages(role)) <= pages
