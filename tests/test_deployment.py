"""The shared deployment: Dockerfile and compose.yaml say what the app needs, and its command runs.

Docker cannot build here (no daemon, no registry), so the image's own entry command, with the
compose file's environment and a real PostgreSQL server, is run as the container would run it,
and the image's health check is run against it.
"""

from __future__ import annotations

import http.client
import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from eit_geo.auth import CODE_ENV, SESSION_ENV
from eit_geo.datafiles import example_path
from eit_geo.gate import ALLOWED_HOSTS_ENV
from eit_geo.store import DATABASE_ENV

REPO = Path(__file__).resolve().parents[1]
ROOM = "atelier.cci-exemple.fr"


def _instruction(name: str) -> str:
    """Return the text of a Dockerfile instruction (continuation lines joined)."""
    text = (REPO / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.+)$", text, flags=re.MULTILINE)
    assert len(found) == 1, f"one {name} expected, found {found}"
    return found[0].strip()


def _exec_form(text: str) -> list[str]:
    """Read an instruction's JSON (exec) form, after its --options."""
    return list(json.loads(text[text.index("[") :]))


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "compose.yaml").read_text(encoding="utf-8"))


def test_compose_runs_postgresql_with_a_healthcheck_and_a_volume(compose: dict) -> None:
    db = compose["services"]["db"]
    assert re.fullmatch(r"postgres:\d+", db["image"])  # the official image
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume = db["volumes"][0].split(":")
    assert volume[1] == "/var/lib/postgresql/data"
    assert volume[0] in compose["volumes"]  # a named volume: decisions survive the container
    app = compose["services"]["app"]
    assert app["depends_on"]["db"]["condition"] == "service_healthy"


def test_compose_gives_the_app_what_it_reads(compose: dict) -> None:
    environment = compose["services"]["app"]["environment"]
    expected = {DATABASE_ENV, ALLOWED_HOSTS_ENV, SESSION_ENV, *CODE_ENV.values()}
    assert set(environment) == expected
    assert environment[DATABASE_ENV].startswith("postgresql://eit:${POSTGRES_PASSWORD}@db:")
    for variable in CODE_ENV.values():  # no code written in the file: compose refuses to start
        assert re.fullmatch(r"\$\{" + variable + r":\?[^}]+\}", environment[variable])
    assert compose["services"]["app"]["command"] == _exec_form(_instruction("CMD"))


def test_the_image_runs_the_shared_server() -> None:
    assert _exec_form(_instruction("ENTRYPOINT"))[:3] == ["eit-geo", "app", "--share"]
    assert _instruction("USER") != "root"
    health = _exec_form(_instruction("HEALTHCHECK"))
    assert "/_stcore/health" in health[-1]


@pytest.mark.postgres
def test_the_entry_command_serves_the_room(
    start_app,
    postgres_url: str,
) -> None:
    """Run ENTRYPOINT + CMD as the container does, with the environment compose gives it."""
    entry = _exec_form(_instruction("ENTRYPOINT")) + _exec_form(_instruction("CMD"))
    arguments = [str(example_path("kalundborg")) if a == "/zone" else a for a in entry[2:]]
    codes = {"facilitator": "anim-1234", "participant": "salle-5678", "observer": "elus-9012"}
    env = {CODE_ENV[role]: code for role, code in codes.items()}
    env |= {DATABASE_ENV: postgres_url, ALLOWED_HOSTS_ENV: ROOM, SESSION_ENV: "480"}
    app = start_app(*arguments, env=env)  # start_app puts its own --port after the image's
    check = _exec_form(_instruction("HEALTHCHECK"))
    script = check[-1].replace(":8501/", f":{app.port}/")
    assert subprocess.run([sys.executable, "-c", script], check=False, timeout=30).returncode == 0
    assert "anim-1234" not in app.log_text()  # codes from the environment are never printed
    for host, status in ((f"{ROOM}:8501", 303), ("evil.example:8501", 400)):
        connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)
        connection.request("GET", "/", headers={"Host": host})
        assert connection.getresponse().status == status
        connection.close()
    connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=60)
    connection.request(
        "POST",
        "/signin",
        body=urlencode({"code": "salle-5678", "name": "Anne"}),
        headers={
            "Host": f"{ROOM}:8501",
            "Origin": f"http://{ROOM}:8501",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    reply = connection.getresponse()
    assert reply.status == 303
    assert "eit_geo_session=" in (reply.getheader("Set-Cookie") or "")
    connection.close()
    assert app.stop() == 0  # docker stop sends SIGTERM: the server ends quietly
