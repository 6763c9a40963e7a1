"""Tests of eit_geo.import_mapping: the mapping file written, corrected by hand, read back."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from eit_geo.import_mapping import (
    Mapping,
    MappingError,
    Notes,
    TableChoice,
    default_mapping_path,
    mapping_text,
    read_mapping,
)
from eit_geo.importing import run_import
from eit_geo.loading import load_zone

# A winery cooperative's own table: headers no synonym knows, a direction word of its own,
# a residue the resolver cannot code, tonnages without a unit.
COLLECTE = (
    "Nom du site;Lat;Long;E/S;Matière valorisable;Gisement 2023\n"
    "Cave coopérative des Coteaux;44,8412;-0,5801;Vente;refus de criblage;1 200\n"
    "Cave coopérative des Coteaux;44,8412;-0,5801;Achat;vapeur;\n"
)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in\n{text}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_write_edit_reimport(tmp_path: Path) -> None:
    source = tmp_path / "collecte-2023.csv"
    source.write_bytes(COLLECTE.encode("cp1252"))
    out = tmp_path / "zone" / "coteaux.gpkg"
    mapping = default_mapping_path(out)

    # 1. Nothing names the companies: no zone, the columns are left to decide.
    code, report = run_import([source], out)
    assert code == 2, report
    assert not out.exists()
    assert '"Nom du site" = ""' in mapping.read_text(encoding="utf-8")

    # 2. The user says what the columns are; the import now has a company and two flows,
    #    and lists what is still open: a direction word, a residue, a unitless tonnage.
    for header, field in (
        ("Nom du site", "name"),
        ("E/S", "direction"),
        ("Matière valorisable", "label"),
        ("Gisement 2023", "quantity"),
    ):
        edit(mapping, f'"{header}" = ""', f'"{header}" = "{field}"')
    code, report = run_import([source], out, mapping=mapping)
    assert code == 0, report
    zone = load_zone(out)
    assert list(zone.flows["label"]) == ["vapeur"]  # « Vente » is not a known direction yet
    decisions = tomllib.loads(mapping.read_text(encoding="utf-8"))
    assert decisions["directions"] == {"Vente": ""}
    assert decisions["quantities"] == {}
    assert decisions["resources"]["vapeur"] == "steam"

    # 3. « Vente » is an offer: the residue appears, to code, its tonnage without a unit.
    edit(mapping, '"Vente" = ""', '"Vente" = "output"')
    code, report = run_import([source], out, mapping=mapping)
    assert code == 0, report
    decisions = tomllib.loads(mapping.read_text(encoding="utf-8"))
    assert decisions["resources"] == {"refus de criblage": "", "vapeur": "steam"}
    assert decisions["quantities"] == {"1 200": ""}
    zone = load_zone(out)
    assert list(zone.flows["resource_status"]) == ["à coder", ""]

    # 4. The user codes it and gives the unit: applied, said, and the zone complete.
    edit(mapping, '"refus de criblage" = ""', '"refus de criblage" = "19 12 12"')
    edit(mapping, '"1 200" = ""', '"1 200" = "1 200 t/an"')
    code, report = run_import([source], out, mapping=mapping)
    assert code == 0, report
    zone = load_zone(out)
    flows = zone.flows
    assert list(flows["direction"]) == ["output", "input"]
    assert list(flows["resource"]) == ["19 12 12", "steam"]
    assert list(flows["label"]) == ["refus de criblage", "vapeur"]
    assert flows["quantity"].iloc[0] == 1_200.0
    assert list(flows["quantity_status"]) == ["published", "unknown"]
    assert zone.companies.geometry.y.round(4).tolist() == [44.8412]
    # the residue coded by the user; « vapeur » as the first import coded it, by itself
    assert "1 codée(s) automatiquement, 1 codée(s) par l'utilisateur, 0 à coder" in report
    assert "« vapeur » → steam (confiance 1,00, 1 flux)" in report  # a French decimal comma
    code, english = run_import([source], out, mapping=mapping, lang="en")
    assert code == 0, english
    assert "1 coded automatically, 1 coded by the user, 0 to code" in english
    assert "“vapeur” → steam (confidence 1.00, 1 flow(s))" in english


def test_suggestions_and_confidences_are_written_as_the_reader_writes_numbers(
    tmp_path: Path,
) -> None:
    source = tmp_path / "collecte.csv"
    source.write_text(
        "Raison sociale;Latitude;Longitude;Sens du flux;Ressource;Quantité\n"
        "Scierie du Lac;45,10;5,70;Sortant;sciures de bois ;80 t/an\n"
        "Scierie du Lac;45,10;5,70;Sortant;rebuts de la ligne 3;5 t/an\n",
        encoding="utf-8",
    )
    out = tmp_path / "lac.gpkg"
    for lang, decimal in (("fr", ","), ("en", ".")):
        code, report = run_import([source], out, lang=lang)
        assert code == 0, report
        confidences = re.findall(r"\b[01][.,]\d\d\b", report)
        assert confidences, report
        assert all(c[1] == decimal for c in confidences), report
        comments = re.findall(r"\b[01][.,]\d\d\b", default_mapping_path(out).read_text("utf-8"))
        assert comments
        assert all(c[1] == decimal for c in comments)


def test_same_kind_of_file_reuses_the_mapping(tmp_path: Path) -> None:
    first = tmp_path / "collecte-2023.csv"
    first.write_bytes(COLLECTE.encode("cp1252"))
    out = tmp_path / "coteaux.gpkg"
    run_import([first], out)
    mapping = default_mapping_path(out)
    edit(mapping, '"Nom du site" = ""', '"Nom du site" = "name"')
    edit(mapping, '"E/S" = ""', '"E/S" = "direction"')
    edit(mapping, '"Matière valorisable" = ""', '"Matière valorisable" = "label"')
    # Next year's file: same headers in another order, another company.
    second = tmp_path / "collecte-2024.csv"
    second.write_bytes(
        "Matière valorisable;E/S;Nom du site;Lat;Long;Gisement 2023\n"
        "vapeur;Achat;Distillerie du Blayais;45,12;-0,66;\n".encode("cp1252")
    )
    code, report = run_import([second], tmp_path / "blayais.gpkg", mapping=mapping)
    assert code == 0, report
    zone = load_zone(tmp_path / "blayais.gpkg")
    assert list(zone.companies["name"]) == ["Distillerie du Blayais"]
    assert list(zone.flows["label"]) == ["vapeur"]
    assert "(colonnes lues comme le dit le fichier de correspondances)" in report


def test_text_is_escaped_and_read_back() -> None:
    tricky = 'boues "épaisses" \\ 20 %\tC'
    mapping = Mapping(
        tables={"abc": TableChoice(["a.csv"], "", {'Quantité "brute"': "quantity"}, None, "flat")},
        resources={tricky: "19 08 05"},
        directions={"Vente": ""},
    )
    notes = Notes({("resources", tricky): "auto"}, {("directions", "Vente")})
    data = tomllib.loads(mapping_text(mapping, notes, lang="en"))
    assert data["resources"] == {tricky: "19 08 05"}
    assert data["tables"]["abc"]["columns"] == {'Quantité "brute"': "quantity"}
    assert data["directions"] == {"Vente": ""}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version = 1\n[resources\n", "mapping.toml illisible"),
        ('[tables.abc]\nshape = "plate"\n', "forme « plate » inconnue (possibles : flat, lists"),
        (
            '[tables.abc.columns]\n"Nom" = "nom"\n',
            "colonne « Nom » : champ « nom » inconnu (possibles : id, siret",
        ),
    ],
    ids=["not-toml", "bad-shape", "bad-field"],
)
def test_a_bad_mapping_is_said(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=re.escape(message)):
        read_mapping(path)


def test_a_shape_imposed_in_the_mapping_wins(tmp_path: Path) -> None:
    source = tmp_path / "collecte-2023.csv"
    source.write_bytes(COLLECTE.encode("cp1252"))
    out = tmp_path / "coteaux.gpkg"
    mapping = default_mapping_path(out)
    run_import([source], out)
    text = mapping.read_text(encoding="utf-8")
    assert 'shape = ""  # reconnue d\'après les colonnes : ignore' in text
    for header, field in (("Nom du site", "name"), ("E/S", "direction")):
        edit(mapping, f'"{header}" = ""', f'"{header}" = "{field}"')
    edit(mapping, '"Matière valorisable" = ""', '"Matière valorisable" = "label"')
    assert run_import([source], out, mapping=mapping)[0] == 0
    edit(mapping, 'shape = ""', 'shape = "ignore"')
    code, report = run_import([source], out, mapping=mapping)
    assert code == 2
    assert "non reconnue, laissée de côté" in report
    assert 'shape = "ignore"' in mapping.read_text(encoding="utf-8")


def test_the_report_writes_its_counts_and_methods_in_the_readers_language(
    tmp_path: Path,
) -> None:
    rows = "".join(
        f"Scierie {i % 3};45,1{i % 3};5,70;Sortant;sciure;{i + 1} t/an\n" for i in range(1_200)
    )
    source = tmp_path / "sciures.csv"
    source.write_text(
        "Raison sociale;Latitude;Longitude;Sens du flux;Ressource;Quantité\n" + rows, "utf-8"
    )
    out = tmp_path / "sciures.gpkg"
    code, french = run_import([source], out)
    assert code == 0, french
    assert "1\u202f200 ligne(s)" in french
    assert "Flux : 1\u202f200 ;" in french
    assert "(confiance 1,00, 1\u202f200 flux)" in french
    assert "codé automatiquement (synonyme connu, confiance 1,00)" in (
        default_mapping_path(out).read_text("utf-8")
    )
    code, english = run_import([source], out, lang="en")
    assert "Flows: 1,200;" in english
    assert "(confidence 1.00, 1,200 flow(s))" in english
    assert "coded automatically (known synonym, confidence 1.00)" in (
        default_mapping_path(out).read_text("utf-8")
    )
