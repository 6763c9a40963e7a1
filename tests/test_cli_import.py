"""Tests of ``eit-geo import``: exit codes, the report, and never a traceback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from importing_files import write_campaign, write_cci_csv, zip_folder

from eit_geo.cli import main
from eit_geo.datafiles import example_path
from eit_geo.loading import load_zone

EIT_GEO = shutil.which("eit-geo", path=str(Path(sys.executable).parent)) or shutil.which("eit-geo")


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert EIT_GEO is not None, "the eit-geo command is not installed in this environment"
    return subprocess.run(
        [EIT_GEO, "import", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONUTF8": "1"},
        timeout=300,
        check=False,
    )


@pytest.mark.process
def test_a_real_inventory_and_a_campaign_in_one_run(tmp_path: Path) -> None:
    cci = write_cci_csv(tmp_path / "inventaire cci.csv", spoil_sawmill_siret=True)
    campaign = zip_folder(write_campaign(tmp_path / "campagne"), tmp_path / "campagne.zip")
    out = tmp_path / "dunkerque.gpkg"
    done = run(cci, campaign, "--out", out)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "Zone écrite" in done.stdout
    assert "SIRET abîmé par un tableur pour Scierie du Nord (« 3,34568E+13 »" in done.stdout
    assert "EPSG:2154 reconnu d'après les valeurs" in done.stdout
    assert "« produits hors spécifications » : à coder" in done.stdout
    assert (tmp_path / "dunkerque.mapping.toml").is_file()
    zone = load_zone(out)
    # One company per establishment across the inventory and the five workbooks.
    assert len(zone.companies) == 5
    validated = subprocess.run(
        [str(EIT_GEO), "validate", str(out)], capture_output=True, text=True, check=False
    )
    assert validated.returncode == 0, validated.stderr


def test_english_report(tmp_path: Path) -> None:
    cci = write_cci_csv(tmp_path / "inventory.csv")
    code = main(["import", str(cci), "--out", str(tmp_path / "z.gpkg"), "--lang", "en"])
    assert code == 0


@pytest.mark.process
def test_a_contract_zone_is_taken_as_it_is(tmp_path: Path) -> None:
    out = tmp_path / "kalundborg.gpkg"
    done = run(example_path("kalundborg"), "--out", out)
    assert done.returncode == 0, done.stderr
    assert "zone déjà au format du contrat" in done.stdout
    original, imported = load_zone(example_path("kalundborg")), load_zone(out)
    assert list(imported.companies["id"]) == list(original.companies["id"])
    assert list(imported.flows["resource"]) == list(original.flows["resource"])
    assert list(imported.flows["quantity"]) == list(original.flows["quantity"])
    assert list(imported.flows["quantity_status"]) == list(original.flows["quantity_status"])
    assert list(imported.companies["source"]) == list(original.companies["source"])
    assert imported.perimeter is not None
    assert imported.perimeter.geom_equals_exact(original.perimeter, tolerance=1e-9).all()


def test_a_contract_zone_with_other_sources_keeps_its_perimeter(tmp_path: Path) -> None:
    cci = write_cci_csv(tmp_path / "inventaire.csv")
    out = tmp_path / "ensemble.gpkg"
    assert main(["import", str(example_path("dunkerque")), str(cci), "--out", str(out)]) == 0
    zone, dunkerque = load_zone(out), load_zone(example_path("dunkerque"))
    assert zone.perimeter is not None
    assert zone.perimeter.geom_equals_exact(dunkerque.perimeter, tolerance=1e-9).all()
    assert len(zone.companies) == len(dunkerque.companies) + 5
    assert len(zone.synergies) == len(dunkerque.synergies)


def _write(path: Path, data: bytes) -> list[str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return [str(path)]


def _zip_slip(path: Path) -> list[str]:
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.writestr("../../evil.csv", "Raison sociale;Sens\nX;Sortant\n")
        bundle.writestr("/etc/evil.csv", "a;b\n")
    return [str(path)]


GARBAGE_FILES = {
    "binary-csv": lambda d: _write(d / "flux.csv", bytes(range(256)) * 4),
    "png-as-xlsx": lambda d: _write(d / "inventaire.xlsx", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
    "empty-folder": lambda d: [str(Path(_write(d / "vide" / ".keep", b"")[0]).parent)],
    "missing": lambda d: [str(d / "absent.csv")],
    "zip-slip": lambda d: _zip_slip(d / "evil.zip"),
    "broken-zip": lambda d: _write(d / "campagne.zip", b"PK\x03\x04" + b"\x00" * 50),
    "only-headers": lambda d: _write(d / "inventaire.csv", b"SIRET;Raison sociale;Sens du flux\n"),
    "unknown-columns": lambda d: _write(d / "notes.csv", b"a;b;c\n1;2;3\n"),
}


def _garbage(tmp_path: Path, kind: str) -> list[str]:
    return GARBAGE_FILES[kind](tmp_path)


GARBAGE = list(GARBAGE_FILES)


@pytest.mark.parametrize("kind", GARBAGE)
def test_garbage_exits_2_without_a_traceback(
    tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sources = _garbage(tmp_path, kind)
    out = tmp_path / "out" / "zone.gpkg"
    assert main(["import", *sources, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "aucune zone écrite" in captured.err
    assert not out.exists()
    assert not (tmp_path.parent / "evil.csv").exists()


@pytest.mark.process
def test_garbage_as_a_real_command(tmp_path: Path) -> None:
    sources = _garbage(tmp_path, "png-as-xlsx") + _garbage(tmp_path, "binary-csv")
    done = run(*sources, "--out", tmp_path / "zone.gpkg")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "Warning" not in done.stderr
    assert "le contenu ne correspond pas à l'extension .xlsx" in done.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--crs", "Lambert"], "système de coordonnées inconnu « Lambert »"),
        (["--mapping", "absent.toml"], "fichier de correspondances absent.toml illisible"),
    ],
)
def test_bad_options_are_said(
    tmp_path: Path,
    options: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cci = write_cci_csv(tmp_path / "inventaire.csv")
    monkeypatch.chdir(tmp_path)
    assert main(["import", str(cci), "--out", str(tmp_path / "z.gpkg"), *options]) == 2
    assert message in capsys.readouterr().err


def test_an_output_that_cannot_be_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cci = write_cci_csv(tmp_path / "inventaire.csv")
    (tmp_path / "fichier").write_text("")
    assert main(["import", str(cci), "--out", str(tmp_path / "fichier" / "z.gpkg")]) == 1
    captured = capsys.readouterr()
    assert "Import impossible" in captured.err
    assert "Traceback" not in captured.err
