"""Who may do what when a room shares the server: roles, access codes, sessions that expire.

Three roles (``data/roles.toml``): the facilitator (everything), participants (see the zone,
decide and vote under the name they signed in with, export only the anonymised report) and
observers (the anonymised presentation only). Without an identity provider each role has one
access code, generated at start or taken from the environment, kept only as an Argon2 hash
(argon2-cffi). A signed-in browser holds a signed, timestamped token (itsdangerous) that
expires. No Streamlit here: `eit_geo.gate` checks tokens on every request, `eit_geo.ui.access`
on every run of a page.
"""

from __future__ import annotations

import re
import secrets
import time
import tomllib
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadData, URLSafeTimedSerializer

from eit_geo.datafiles import data_path

__all__ = [
    "CODE_ENV",
    "DEFAULT_SESSION_MINUTES",
    "ROLES",
    "AccessCodes",
    "Identity",
    "Sessions",
    "Throttle",
    "clean_name",
    "hash_code",
    "may",
    "new_code",
    "role_pages",
]

ROLES: tuple[str, ...] = ("facilitator", "participant", "observer")
CODE_ENV: dict[str, str] = {role: f"EIT_GEO_CODE_{role.upper()}" for role in ROLES}
SESSION_ENV = "EIT_GEO_SESSION_MINUTES"
DEFAULT_SESSION_MINUTES = 480.0  # a workshop day
MAX_NAME = 80  # as store.MAX_PARTICIPANT
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L to confuse when read aloud
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4  # 12 characters of 31: about 59 bits
_HASHER = PasswordHasher()
_SALT = "eit-geo-session"
_MAX_CLIENTS = 10_000  # clients a throttle remembers


@dataclass(frozen=True)
class Identity:
    """A signed-in person: role, the name they decide under, when the session started and ends."""

    role: str
    name: str
    issued: float
    expires: float


@cache
def _roles_table() -> dict[str, dict[str, list[str]]]:
    with data_path("roles.toml").open("rb") as handle:
        return tomllib.load(handle)


def role_pages(role: str) -> tuple[str, ...]:
    """Return the pages ``role`` sees, the landing page first (``data/roles.toml``)."""
    return tuple(_roles_table()[role]["pages"])


def may(role: str | None, right: str) -> bool:
    """Tell whether ``role`` has ``right``; None (the app not shared) has every right."""
    if role is None:
        return True
    return right in _roles_table()[role]["rights"]


def new_code() -> str:
    """Return a fresh access code to read out in a room: ``7KQF-M2XP-9RTA``."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


def _normalise_code(code: str) -> str:
    """Return the code as compared: capitals, without spaces or dashes."""
    return re.sub(r"[\s\-]+", "", code).upper()


def hash_code(code: str) -> str:
    """Return the Argon2 hash of an access code (spaces, dashes and case ignored)."""
    return _HASHER.hash(_normalise_code(code))


def clean_name(name: str) -> str:
    """Return a name as signed in: spaces collapsed, control characters out, 80 characters."""
    printable = "".join(c if c.isprintable() else " " for c in name)
    return " ".join(printable.split())[:MAX_NAME]


class AccessCodes:
    """One access code per role, kept as Argon2 hashes.

    Parameters
    ----------
    hashes
        ``{role: argon2 hash}``; a role without a hash cannot sign in with a code.
    """

    def __init__(self, hashes: Mapping[str, str]) -> None:
        unknown = sorted(set(hashes) - set(ROLES))
        if unknown:
            msg = f"unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}"
            raise ValueError(msg)
        self._hashes = dict(hashes)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> tuple[AccessCodes, dict[str, str]]:
        """Take each role's code from ``EIT_GEO_CODE_<ROLE>``, or generate it.

        A value that is already an Argon2 hash (``$argon2id$…``) is kept as is; a plain code is
        hashed at once. Returns the codes and ``{role: code}`` of those generated (to print
        once; nothing keeps them).
        """
        hashes, generated = {}, {}
        for role in ROLES:
            value = environ.get(CODE_ENV[role], "").strip()
            if not value:
                value = generated[role] = new_code()
            hashes[role] = value if value.startswith("$argon2") else hash_code(value)
        return cls(hashes), generated

    def role_of(self, code: str) -> str | None:
        """Return the role whose code this is, or None. Every hash is tried (no early exit)."""
        found = None
        typed = _normalise_code(code)
        for role, hashed in self._hashes.items():
            try:
                _HASHER.verify(hashed, typed)
            except (VerificationError, InvalidHashError):
                continue
            found = found or role
        return found


class Sessions:
    """Signed, timestamped session tokens that expire.

    Parameters
    ----------
    secret
        The signing key (random at each start: a restart signs everyone out).
    minutes
        How long a session lasts after sign-in.
    clock
        Seconds since the epoch (tests pass their own).
    """

    def __init__(
        self, secret: bytes, minutes: float, *, clock: Callable[[], float] = time.time
    ) -> None:
        if minutes <= 0:
            msg = f"session length must be positive, not {minutes} minutes"
            raise ValueError(msg)
        self.seconds = minutes * 60.0
        self._clock = clock
        self._signer = URLSafeTimedSerializer(secret, salt=_SALT)

    def issue(self, role: str, name: str) -> str:
        """Return the token of a new session for ``role`` under ``name``."""
        if role not in ROLES:
            msg = f"unknown role {role!r}; roles are {', '.join(ROLES)}"
            raise ValueError(msg)
        return str(
            self._signer.dumps({"role": role, "name": clean_name(name), "at": self._clock()})
        )

    def read(self, token: str | None) -> Identity | None:
        """Return the identity of a token, or None if it is missing, forged or expired."""
        if not token:
            return None
        try:
            values = self._signer.loads(token)
        except BadData:
            return None
        if not isinstance(values, dict) or values.get("role") not in ROLES:
            return None
        issued = float(values.get("at", 0.0))
        expires = issued + self.seconds
        if not issued <= self._clock() < expires:
            return None
        return Identity(
            str(values["role"]), clean_name(str(values.get("name", ""))), issued, expires
        )


class Throttle:
    """Refuse sign-in attempts from a client after too many failures in a short time.

    Parameters
    ----------
    failures
        Failures allowed within ``window`` seconds before the client must wait.
    window
        Length of the window, in seconds.
    clock
        Monotonic seconds (tests pass their own).
    """

    def __init__(
        self,
        failures: int = 5,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures, self.window, self._clock = failures, window, clock
        self._seen: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        times = self._seen.setdefault(client, deque())
        while times and times[0] <= self._clock() - self.window:
            times.popleft()
        if not times:
            self._seen.pop(client, None)
        return times

    def blocked(self, client: str) -> bool:
        """Tell whether ``client`` must wait before trying again."""
        return len(self._recent(client)) >= self.failures

    def failed(self, client: str) -> None:
        """Count a failed attempt of ``client``."""
        self._recent(client)
        self._seen.setdefault(client, deque()).append(self._clock())
        if len(self._seen) > _MAX_CLIENTS:  # many clients: forget the oldest
            self._seen.pop(next(iter(self._seen)))
