"""Tests of eit_geo.import_sources: files, folders and zips as users hand them over."""

from __future__ import annotations

import zipfile
from pathlib import Path

from importing_files import write_campaign, zip_folder

from eit_geo.datafiles import example_path
from eit_geo.import_sources import read_sources


def test_folders_and_zips_keep_their_subfolders(tmp_path: Path) -> None:
    folder = write_campaign(tmp_path / "campagne")
    archive = zip_folder(folder, tmp_path / "campagne.zip")
    documents, problems = read_sources([archive])
    assert problems == []
    labels = [d.label for d in documents]
    assert labels == [
        "campagne.zip/campagne/reponses-avril/Scierie - modele-collecte-flux.xlsx",
        "campagne.zip/campagne/reponses-avril/modele-collecte-flux (1).xlsx",
        "campagne.zip/campagne/reponses-mars/STEP CUD - modele-collecte-flux.xlsx",
        "campagne.zip/campagne/reponses-mars/modele-collecte-flux (1).xlsx",
        "campagne.zip/campagne/reponses-mars/modele-collecte-flux.xlsx",
    ]  # the __MACOSX clutter is left out
    sheets = {table.name for d in documents for table in d.tables}
    assert sheets == {"entreprises", "flux", "synergies"}  # help sheets and empty ones left out


def test_sources_of_the_same_name_are_told_apart(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "inventaire.csv").write_text("Nom;Sens\nX;Sortant\n")
    documents, _ = read_sources(
        [tmp_path / "a" / "inventaire.csv", tmp_path / "b" / "inventaire.csv"]
    )
    assert [d.label for d in documents] == ["a/inventaire.csv", "b/inventaire.csv"]


def test_a_zone_of_the_contract_is_read_as_a_zone() -> None:
    documents, problems = read_sources([example_path("parc-rural")])
    assert problems == []
    [document] = documents
    assert document.zone is not None
    assert document.tables == []


def test_a_zip_inflating_beyond_the_limit_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bombe.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr("inventaire.csv", "Nom;Sens\n" + "X;Sortant\n" * 200_000)
    assert archive.stat().st_size < 100_000
    documents, problems = read_sources([archive], max_bytes=500_000)
    assert documents == []
    [problem] = problems
    assert problem.file == "bombe.zip"
