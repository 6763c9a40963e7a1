"""Tests of eit_geo.cli: validate, export and app, as a subprocess and in-process."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from eit_geo.auth import CODE_ENV
from eit_geo.cli import EXIT_BAD_ZONE, ZONE_ENV, main
from eit_geo.gate import Gate
from eit_geo.loading import load_zone
from eit_geo.summary import zone_label

if TYPE_CHECKING:
    from eit_geo.zone import Zone

EIT_GEO = shutil.which("eit-geo", path=str(Path(sys.executable).parent)) or shutil.which("eit-geo")
BAD_LINE = (
    "- flows.csv, ligne 8, colonne « company_id » : entreprise inconnue (absente de companies) "
    "(valeur : « fishfarms »)"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert EIT_GEO is not None, "the eit-geo command is not installed in this environment"
    return subprocess.run(
        [EIT_GEO, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1"},
        timeout=120,
        check=False,
    )


def summary(zone: Zone, running: int | None = None) -> str:
    running = len(zone.synergies) if running is None else running
    return (
        f"Zone valide / valid zone « {zone_label(zone)} » : {len(zone.companies)} entreprises, "
        f"{len(zone.flows)} flux, {len(zone.synergies)} synergies "
        f"({running} en service cette année / running this year)"
    )


@pytest.fixture
def bad_zone(
    mini_dir: Path,
    copy_zone: Callable[[Path], Path],
    edit_file: Callable[[Path, str, str], None],
) -> Path:
    """The mini zone with one flow naming an unknown company (flows.csv, row 8)."""
    folder = copy_zone(mini_dir)
    edit_file(folder / "flows.csv", "fishfarm,input", "fishfarms,input")
    return folder


@pytest.fixture
def png_zone(tmp_path: Path) -> Path:
    """A picture renamed ``companies.csv``: not a zone at all."""
    path = tmp_path / "companies.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return path


# --- as the user runs it --------------------------------------------------------------------


@pytest.mark.process
def test_validate_valid_zone(mini_dir: Path, mini_zone: Zone) -> None:
    result = run("validate", str(mini_dir))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == summary(mini_zone)


@pytest.mark.process
def test_validate_example_by_name(kalundborg_dir: Path) -> None:
    result = run("validate", "kalundborg")
    assert result.returncode == 0, result.stderr
    # 20 synergies in the file, the coal fly ash to Aalborg Portland stopped in 2019
    assert result.stdout.strip() == summary(load_zone(kalundborg_dir), running=19)


@pytest.mark.parametrize("command", ["validate", "export", "app"])
@pytest.mark.process
def test_bad_zone_exits_2_with_the_messages(command: str, bad_zone: Path, tmp_path: Path) -> None:
    out = tmp_path / "sortie.gpkg"
    extra = ["--out", str(out)] if command == "export" else []
    result = run(command, str(bad_zone), *extra)
    assert result.returncode == EXIT_BAD_ZONE
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == ["1 problème(s) : rien n'a été chargé.", BAD_LINE]
    assert result.stdout == ""
    assert not out.exists()


@pytest.mark.parametrize("command", ["validate", "export", "app"])
@pytest.mark.process
def test_file_that_is_no_zone_exits_2(command: str, png_zone: Path, tmp_path: Path) -> None:
    extra = ["--out", str(tmp_path / "sortie.gpkg")] if command == "export" else []
    result = run(command, str(png_zone), *extra)
    assert result.returncode == EXIT_BAD_ZONE
    assert "Traceback" not in result.stderr
    assert "- companies.csv : ce n'est pas un fichier texte CSV (contenu binaire)" in (
        result.stderr.splitlines()
    )


@pytest.mark.process
def test_missing_zone_exits_2(tmp_path: Path) -> None:
    result = run("validate", str(tmp_path / "absente"))
    assert result.returncode == EXIT_BAD_ZONE
    assert "Traceback" not in result.stderr
    assert "- absente : fichier ou dossier introuvable" in result.stderr.splitlines()


@pytest.mark.process
def test_export_writes_the_project_geopackage(
    mini_dir: Path, mini_zone: Zone, tmp_path: Path, assert_same_zone: Callable[..., None]
) -> None:
    out = tmp_path / "projet.gpkg"
    result = run("export", str(mini_dir), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out) in result.stdout
    again = load_zone(out)
    assert again.companies.crs == "EPSG:4326"
    assert_same_zone(again, mini_zone)


# --- in-process -----------------------------------------------------------------------------


def test_main_validate(
    mini_dir: Path, mini_zone: Zone, bad_zone: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(mini_dir)]) == 0
    assert capsys.readouterr().out.strip() == summary(mini_zone)
    assert main(["validate", str(bad_zone)]) == EXIT_BAD_ZONE
    captured = capsys.readouterr()
    assert BAD_LINE in captured.err.splitlines()
    assert captured.out == ""


def test_main_export(
    mini_dir: Path,
    bad_zone: Path,
    tmp_path: Path,
    mini_zone: Zone,
    assert_same_zone: Callable[..., None],
) -> None:
    out = tmp_path / "projet.gpkg"
    assert main(["export", str(bad_zone), "--out", str(out)]) == EXIT_BAD_ZONE
    assert not out.exists()
    assert main(["export", str(mini_dir), "--out", str(out)]) == 0
    assert_same_zone(load_zone(out), mini_zone)


def test_export_to_an_unwritable_place_says_so(
    mini_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(mini_dir), "--out", "/proc/no-such-dir/zone.gpkg"]) == 1
    err = capsys.readouterr().err
    assert "Écriture impossible / cannot write /proc/no-such-dir/zone.gpkg" in err
    assert "Traceback" not in err


def test_export_needs_out(mini_dir: Path) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["export", str(mini_dir)])
    assert caught.value.code == 2  # argparse's usage error


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """Record what ``eit-geo app`` would serve instead of starting the server."""
    from eit_geo.ui import server  # noqa: PLC0415 - Streamlit only for these tests

    calls: list[dict[str, object]] = []

    def serve(app: Path, gate: Gate, *, address: str, port: int | None) -> None:
        calls.append({"app": app, "gate": gate, "address": address, "port": port})

    monkeypatch.setattr(server, "serve", serve)
    for variable in (ZONE_ENV, "EIT_GEO_BASEMAP"):  # the command sets them: restored after
        monkeypatch.setenv(variable, "")  # recorded, so that the undo removes the command's
        monkeypatch.delenv(variable)
    for variable in CODE_ENV.values():
        monkeypatch.delenv(variable, raising=False)
    return calls


def test_app_refuses_bad_zone_before_starting_streamlit(
    bad_zone: Path, served: list[dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["app", str(bad_zone)]) == EXIT_BAD_ZONE
    assert served == []
    assert BAD_LINE in capsys.readouterr().err.splitlines()


def test_app_serves_this_machine_only(mini_dir: Path, served: list[dict[str, object]]) -> None:
    assert main(["app", str(mini_dir), "--port", "8599"]) == 0
    [call] = served
    assert Path(str(call["app"])).name == "app.py"
    assert call["address"] == "127.0.0.1"
    assert call["port"] == 8599
    gate = call["gate"]
    assert isinstance(gate, Gate)
    assert gate.mode == "local"
    assert gate.hosts == {"localhost", "127.0.0.1", "::1"}
    assert os.environ[ZONE_ENV] == str(mini_dir.resolve())


def test_share_serves_the_room_with_codes(
    mini_dir: Path,
    served: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CODE_ENV["participant"], "salle-verte-42")
    code = main(["app", str(mini_dir), "--share", "--allow-host", "atelier.cci.fr:8501"])
    assert code == 0
    [call] = served
    assert call["address"] in ("::", "0.0.0.0")  # noqa: S104 - what --share must do
    gate = call["gate"]
    assert isinstance(gate, Gate)
    assert gate.mode == "codes"
    assert "atelier.cci.fr" in gate.hosts
    assert gate.codes is not None
    assert gate.codes.role_of("SALLE VERTE 42") == "participant"
    assert CODE_ENV["participant"] not in os.environ  # hashed, then forgotten
    printed = capsys.readouterr().out
    assert "salle-verte-42" not in printed
    generated = re.findall(r"([2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4})", printed)
    assert len(generated) == 2  # facilitator and observer, shown once
    assert {gate.codes.role_of(c) for c in generated} == {"facilitator", "observer"}


def test_share_signs_in_with_the_identity_provider_when_configured(
    mini_dir: Path,
    served: list[dict[str, object]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(
        '[auth]\nredirect_uri = "http://atelier.cci.fr:8501/oauth2callback"\n'
        'cookie_secret = "x"\nclient_id = "eit"\nclient_secret = "y"\n'
        'server_metadata_url = "https://login.cci.fr/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EIT_GEO_FACILITATORS", "Anne.Martin@cci.fr")
    assert main(["app", str(mini_dir), "--share"]) == 0
    gate = served[0]["gate"]
    assert isinstance(gate, Gate)
    assert gate.mode == "oidc"
    assert gate.role_for_account("anne.martin@cci.fr") == "facilitator"
    assert gate.role_for_account("someone@cci.fr") == "participant"


def test_app_serves_a_local_basemap(
    mini_dir: Path,
    tmp_path: Path,
    make_mbtiles: Callable[..., int],
    served: list[dict[str, object]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    plan = tmp_path / "plan.mbtiles"
    make_mbtiles(plan, (11.06, 55.65, 11.14, 55.69), range(12, 13))
    assert main(["app", str(mini_dir), "--basemap", str(plan)]) == 0
    assert len(served) == 1
    assert os.environ["EIT_GEO_BASEMAP"] == str(plan.resolve())
    broken = tmp_path / "broken.mbtiles"
    broken.write_text("not sqlite, a text file renamed", encoding="utf-8")
    assert main(["app", str(mini_dir), "--basemap", str(broken)]) == EXIT_BAD_ZONE
    assert len(served) == 1  # not started on a file it cannot show
    assert "Fond de carte « broken.mbtiles » inutilisable" in capsys.readouterr().err
