"""Tests of eit_geo.loading: every input format, French spreadsheet CSV, files that are no zone."""

from __future__ import annotations

import csv
import io
import shutil
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point

from eit_geo import loading
from eit_geo.datafiles import data_path, example_names
from eit_geo.errors import Problem, ZoneError
from eit_geo.export import export_zone
from eit_geo.loading import decode_text, load_zone, sniff_separator
from eit_geo.zone import Zone

FORMATS = [".csv", ".xlsx", ".geojson", ".gpkg", ".parquet"]
# The first bytes of a real PNG image (signature and IHDR chunk of a 1×1 picture).
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a3b6e0c90000000049454e44ae426082"
)


def problem(
    file: str,
    message: str,
    row: int | None = None,
    column: str | None = None,
    value: str | None = None,
) -> Problem:
    return Problem(file, row, column, value, message)


def problems_of(source: Path, **options: object) -> list[Problem]:
    with pytest.raises(ZoneError) as caught:
        load_zone(source, **options)  # type: ignore[arg-type]
    return caught.value.problems


def missing(label: str, table: str) -> Problem:
    return problem(
        label,
        f"fichier obligatoire absent : il faut un fichier « {table} » "
        "(.csv, .xlsx, .geojson, .gpkg ou .parquet)",
    )


def wrong_content(file: str, ext: str) -> Problem:
    return problem(
        file, f"le contenu ne correspond pas à l'extension {ext} : fichier renommé ou endommagé ?"
    )


NOT_TEXT = "ce n'est pas un fichier texte CSV (contenu binaire)"


# --- each input format ----------------------------------------------------------------------


@pytest.mark.parametrize("ext", FORMATS)
def test_folder_of_one_format_loads_like_csv(  # noqa: PLR0917 - pytest fixtures
    ext: str,
    tmp_path: Path,
    mini_dir: Path,
    mini_zone: Zone,
    write_tables: Callable[..., Path],
    assert_same_zone: Callable[..., None],
) -> None:
    folder = write_tables(tmp_path / "zone", ext, mini_zone)
    shutil.copy(mini_dir / "perimeter.geojson", folder)
    zone = load_zone(folder)
    assert zone.name == "zone"
    assert_same_zone(zone, mini_zone)


def test_plain_parquet_with_lat_lon_loads(
    tmp_path: Path,
    mini_zone: Zone,
    write_tables: Callable[..., Path],
    assert_same_zone: Callable[..., None],
) -> None:
    folder = write_tables(tmp_path / "zone", ".parquet", mini_zone, geo=False)
    assert not isinstance(pd.read_parquet(folder / "companies.parquet"), gpd.GeoDataFrame)
    assert_same_zone(load_zone(folder), Zone(**{**vars(mini_zone), "perimeter": None}))


@pytest.mark.parametrize("ext", [".geojson", ".gpkg", ".parquet"])
def test_points_in_lambert93_load_in_wgs84(
    ext: str,
    tmp_path: Path,
    mini_zone: Zone,
    write_tables: Callable[..., Path],
) -> None:
    folder = write_tables(tmp_path / "zone", ext, mini_zone, crs="EPSG:2154")
    raw = gpd.read_parquet if ext == ".parquet" else gpd.read_file
    assert raw(folder / f"companies{ext}").crs == "EPSG:2154"
    zone = load_zone(folder)
    assert zone.companies.crs == "EPSG:4326"
    expected = mini_zone.companies.geometry
    assert zone.companies.geometry.x.to_list() == pytest.approx(expected.x.to_list(), abs=1e-7)
    assert zone.companies.geometry.y.to_list() == pytest.approx(expected.y.to_list(), abs=1e-7)


@pytest.mark.parametrize(
    "layers",
    [
        {"companies": "companies", "flows": "flows", "synergies": "synergies"},
        {"companies": "entreprises", "flows": "flux", "synergies": "synergies_existantes"},
    ],
    ids=["english", "french"],
)
def test_multi_layer_geopackage(
    layers: dict[str, str],
    tmp_path: Path,
    mini_zone: Zone,
    assert_same_zone: Callable[..., None],
) -> None:
    path = tmp_path / "projet.gpkg"
    mini_zone.companies.to_crs("EPSG:2154").to_file(path, layer=layers["companies"])
    flows = mini_zone.flows.drop(columns=["flow_id", "family"])
    pyogrio.write_dataframe(flows, path, layer=layers["flows"])
    synergies = mini_zone.synergies.drop(columns=["family"])
    pyogrio.write_dataframe(synergies, path, layer=layers["synergies"])
    assert mini_zone.perimeter is not None
    mini_zone.perimeter.to_file(path, layer="perimeter")
    pyogrio.write_dataframe(
        pd.DataFrame({"note": ["a layer the zone ignores"]}), path, layer="notes"
    )
    zone = load_zone(path)
    assert zone.name == "projet"
    assert_same_zone(zone, mini_zone, atol=1e-7)


@pytest.mark.parametrize(
    "sheets",
    [("companies", "flows", "synergies"), ("Entreprises", "Flux", "Synergies")],
    ids=["english", "french"],
)
def test_workbook_with_sheets(
    sheets: tuple[str, str, str],
    tmp_path: Path,
    mini_zone: Zone,
    assert_same_zone: Callable[..., None],
) -> None:
    companies = pd.DataFrame(mini_zone.companies.drop(columns="geometry")).assign(
        lat=mini_zone.companies.geometry.y, lon=mini_zone.companies.geometry.x
    )
    path = tmp_path / "classeur.xlsx"
    with pd.ExcelWriter(path) as workbook:
        pd.DataFrame({"Lisez-moi": ["une feuille que la zone ignore"]}).to_excel(
            workbook, sheet_name="Lisez-moi", index=False
        )
        companies.to_excel(workbook, sheet_name=sheets[0], index=False)
        flows = mini_zone.flows.drop(columns=["flow_id", "family"])
        flows.to_excel(workbook, sheet_name=sheets[1], index=False)
        mini_zone.synergies.drop(columns="family").to_excel(
            workbook, sheet_name=sheets[2], index=False
        )
    zone = load_zone(path)
    assert zone.name == "classeur"
    assert_same_zone(zone, Zone(**{**vars(mini_zone), "perimeter": None}))


def test_zip_of_a_folder(
    tmp_path: Path, mini_dir: Path, mini_zone: Zone, assert_same_zone: Callable[..., None]
) -> None:
    path = tmp_path / "mini.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        for file in sorted(mini_dir.iterdir()):
            bundle.write(file, f"mini/{file.name}")
        bundle.writestr("__MACOSX/mini/._companies.csv", b"\x00\x05\x16\x07\x00\x02")
    zone = load_zone(path)
    assert zone.name == "mini"
    assert_same_zone(zone, mini_zone)


def test_zip_of_a_geopackage(
    tmp_path: Path, mini_zone: Zone, assert_same_zone: Callable[..., None]
) -> None:
    gpkg = export_zone(mini_zone, tmp_path / "zone.gpkg")
    path = tmp_path / "envoi.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.write(gpkg, "zone.gpkg")
    assert_same_zone(load_zone(path), mini_zone)


def test_zip_names_inner_files_in_problems(tmp_path: Path, mini_dir: Path) -> None:
    path = tmp_path / "envoi.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        bundle.write(mini_dir / "companies.csv", "companies.csv")
        bundle.writestr("flows.csv", b"")
    assert problems_of(path) == [problem("envoi.zip/flows.csv", "fichier vide")]


# --- French spreadsheet CSV -----------------------------------------------------------------


@pytest.mark.parametrize("folder", ["francais-cp1252", "francais-bom"])
def test_french_spreadsheet_csv_loads_without_options(folder: str, zones_dir: Path) -> None:
    zone = load_zone(zones_dir / folder)
    companies = zone.companies
    assert companies["id"].to_list() == ["dk6", "amdk", "sucrerie"]
    assert companies["name"].to_list() == [
        "Centrale DK6 (Engie)",
        "ArcelorMittal Dunkerque (aciérie)",
        "Sucrerie de Coudekerque",
    ]
    assert companies["sector"].to_list() == ["35.11Z", "24.10Z", "10.81Z"]
    assert companies["employees"].to_list() == [80, 3200, pd.NA]
    assert companies.geometry.y.to_list() == [51.0481, 51.03, 51.0223]
    assert companies.geometry.x.to_list() == [2.3261, 2.28, 2.4012]
    flows = zone.flows
    assert flows["company_id"].to_list() == ["amdk", "dk6", "amdk", "sucrerie", "dk6", "sucrerie"]
    assert flows["direction"].to_list() == ["output", "input", "output", "input", "output", "input"]
    assert flows["resource"].to_list() == [
        "fuel_gas",
        "fuel_gas",
        "10 02 02",
        "process_water",
        "treated_wastewater",
        "steam",
    ]
    assert flows["quantity"].to_list() == [5_000_000, 5_000_000, 1200.5, 12500.75, 3000, 42.5]
    assert flows["unit"].to_list() == ["MWh/yr", "MWh/yr", "t/yr", "m3/yr", "m3/yr", "MWh/yr"]
    assert flows["label"].to_list()[:4] == [
        "Gaz sidérurgiques",
        "Gaz pour le cycle combiné",
        "Laitier d'aciérie",
        "Eau de procédé",
    ]
    assert flows["family"].to_list() == ["energy", "energy", "material", "water", "water", "energy"]
    synergies = zone.synergies
    assert synergies[["from_id", "to_id", "resource"]].iloc[0].to_list() == [
        "amdk",
        "dk6",
        "fuel_gas",
    ]
    assert synergies["quantity"].to_list() == [5_000_000]
    assert synergies["since"].to_list() == [2005]


def test_french_encodings_give_the_same_zone(
    zones_dir: Path, assert_same_zone: Callable[..., None]
) -> None:
    assert_same_zone(
        load_zone(zones_dir / "francais-cp1252"), load_zone(zones_dir / "francais-bom")
    )


@pytest.mark.parametrize(
    ("unit", "expected"),
    [("t/an", "t/yr"), ("m3/an", "m3/yr"), ("m³/an", "m3/yr"), ("MWh/an", "MWh/yr"),
     ("t/yr", "t/yr"), ("m3/yr", "m3/yr"), ("MWh/yr", "MWh/yr"), ("t / an", "t/yr")],
)  # fmt: skip
def test_french_units(
    unit: str,
    expected: str,
    copy_zone: Callable[[Path], Path],
    mini_dir: Path,
    edit_file: Callable[[Path, str, str], None],
) -> None:
    folder = copy_zone(mini_dir)
    edit_file(folder / "flows.csv", "400000,MWh/yr", f"400000,{unit}")
    assert load_zone(folder).flows.at[0, "unit"] == expected


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("nom;quantité\r\n".encode("cp1252"), "nom;quantité\r\n"),
        ("nom;quantité\n".encode("utf-8-sig"), "nom;quantité\n"),
        ("nom;quantité\n".encode(), "nom;quantité\n"),
        ("nom;m³/an\n".encode("utf-16"), "nom;m³/an\n"),
        (b"\x89PNG\r\n\x1a\n", None),
        (b"id,name\x00\n", None),
    ],
    ids=["cp1252", "utf-8-bom", "utf-8", "utf-16", "png", "nul"],
)
def test_decode_text(data: bytes, expected: str | None) -> None:
    assert decode_text(data) == expected


@pytest.mark.parametrize(
    ("header", "separator"),
    [
        ("identifiant;nom;secteur", ";"),
        ("id,name,lat", ","),
        ("id\tname\tlat", "\t"),
        ("id|name|lat", "|"),
        ("libellé (t, m3);quantité;unité", ";"),
        ("seule_colonne", ","),
    ],
)
def test_sniff_separator(header: str, separator: str) -> None:
    assert sniff_separator(f"\n{header}\nx\n") == separator


# --- empty optional columns, spreadsheet numbers, row numbers -------------------------------


@pytest.mark.parametrize("ext", FORMATS)
def test_empty_optional_columns(
    ext: str, tmp_path: Path, mini_zone: Zone, write_tables: Callable[..., Path]
) -> None:
    companies = mini_zone.companies.assign(sector=None, employees=None)
    flows = mini_zone.flows.assign(label=None)
    synergies = mini_zone.synergies.assign(since=None)
    bare = Zone(**{**vars(mini_zone), "companies": companies, "flows": flows,
                   "synergies": synergies})  # fmt: skip
    zone = load_zone(write_tables(tmp_path / "zone", ext, bare))
    assert zone.companies["sector"].to_list() == [""] * 4
    assert zone.companies["employees"].isna().all()
    assert str(zone.companies["employees"].dtype) == "Int64"
    assert zone.flows["label"].to_list() == [""] * len(mini_zone.flows)
    assert zone.synergies["since"].isna().all()
    assert str(zone.synergies["since"].dtype) == "Int64"


def test_workbook_number_cells(tmp_path: Path) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    pd.DataFrame(
        {"id": [101, 102], "name": ["A", "B"], "lat": [51.0481, 51.03], "lon": [2.3261, 2.28],
         "employees": [80, 3200], "sector": ["35.11Z", "24.10Z"]}
    ).to_excel(folder / "companies.xlsx", index=False)  # fmt: skip
    pd.DataFrame(
        {"company_id": [101, 102], "direction": ["sortie", "besoin"],
         "resource": ["steam", "steam"], "quantity": [1200.5, 0.25], "unit": ["MWh/an"] * 2}
    ).to_excel(folder / "flows.xlsx", index=False)  # fmt: skip
    pd.DataFrame(
        {"from_id": [101], "to_id": [102], "resource": ["steam"], "quantity": [3000],
         "unit": ["MWh/an"], "since": [2005]}
    ).to_excel(folder / "synergies.xlsx", index=False)  # fmt: skip
    zone = load_zone(folder)
    assert zone.companies["id"].to_list() == ["101", "102"]
    assert zone.companies.geometry.y.to_list() == [51.0481, 51.03]
    assert zone.companies["employees"].to_list() == [80, 3200]
    assert zone.flows["company_id"].to_list() == ["101", "102"]
    assert zone.flows["quantity"].to_list() == [1200.5, 0.25]
    assert zone.synergies["quantity"].to_list() == [3000.0]
    assert zone.synergies["since"].to_list() == [2005]


@pytest.mark.parametrize(
    ("ext", "row", "value"),
    [
        (".csv", 3, "-1.0"),  # the text pandas wrote
        (".xlsx", 3, "-1"),
        (".geojson", 2, "-1"),
        (".gpkg", 2, "-1"),
        (".parquet", 2, "-1"),
    ],
)
def test_rows_are_spreadsheet_rows_or_feature_numbers(  # noqa: PLR0917 - pytest fixtures
    ext: str,
    row: int,
    value: str,
    tmp_path: Path,
    mini_zone: Zone,
    write_tables: Callable[..., Path],
) -> None:
    flows = mini_zone.flows.copy()
    flows.loc[1, "quantity"] = -1.0
    zone = Zone(**{**vars(mini_zone), "flows": flows})
    folder = write_tables(tmp_path / "zone", ext, zone)
    assert problems_of(folder) == [
        problem(
            f"flows{ext}",
            "la quantité doit être un nombre strictement positif",
            row,
            "quantity",
            value,
        )
    ]


def test_blank_lines_keep_their_row_numbers(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    text = (folder / "flows.csv").read_text().splitlines()
    text.insert(2, ",,,,,")
    text.insert(2, "")
    text[6] = text[6].replace("100000", "zéro")
    (folder / "flows.csv").write_text("\n".join(text) + "\n")
    assert problems_of(folder) == [
        problem("flows.csv", "ce n'est pas un nombre", 7, "quantity", "zéro")
    ]


# --- files that are no zone: always a ZoneError, never another exception --------------------


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("zone.csv", b"", [problem("zone.csv", "fichier vide")]),
        ("zone.csv", bytes(range(256)), [problem("zone.csv", NOT_TEXT)]),
        ("photo.csv", PNG_BYTES, [problem("photo.csv", NOT_TEXT)]),
        ("zone.xlsx", b"id;name\nA;B\n", [wrong_content("zone.xlsx", ".xlsx")]),
        ("zone.gpkg", b"id;name\nA;B\n", [wrong_content("zone.gpkg", ".gpkg")]),
        ("zone.zip", b"id;name\nA;B\n", [wrong_content("zone.zip", ".zip")]),
        ("zone.gpkg", b"", [problem("zone.gpkg", "fichier vide")]),
        ("zone.xlsx", PNG_BYTES, [wrong_content("zone.xlsx", ".xlsx")]),
        (
            "zone.txt",
            b"id;name\n",
            [
                problem(
                    "zone.txt",
                    "format non pris en charge (attendu : dossier, .csv, .xlsx, .geojson, "
                    ".gpkg, .parquet ou .zip)",
                )
            ],
        ),
        (
            "companies.csv",
            b"id,name,lat,lon\na,A,55.6,11.1\n",
            [missing("companies.csv", "flows")],
        ),
    ],
    ids=[
        "empty",
        "binary",
        "png-as-csv",
        "text-as-xlsx",
        "text-as-gpkg",
        "text-as-zip",
        "empty-gpkg",
        "png-as-xlsx",
        "txt",
        "lone-companies",
    ],
)
def test_a_lone_file_that_is_no_zone(
    name: str, content: bytes, expected: list[Problem], tmp_path: Path
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert problems_of(path) == expected


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("companies.csv", b"", "fichier vide"),
        ("companies.csv", bytes(range(256)), NOT_TEXT),
        ("companies.csv", PNG_BYTES, NOT_TEXT),
        ("companies.csv", b"id,name\x00,lat\n", NOT_TEXT),
        ("companies.xlsx", b"id,name,lat,lon\n", None),
        ("companies.gpkg", b"id,name,lat,lon\n", None),
        ("companies.parquet", b"id,name,lat,lon\n", None),
        ("companies.geojson", b"id,name,lat,lon\n", None),
        ("companies.json", b"[1, 2, 3]", None),
    ],
)
def test_a_bad_table_file_in_a_folder(
    name: str, content: bytes, message: str | None, tmp_path: Path, mini_dir: Path
) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    shutil.copy(mini_dir / "flows.csv", folder)
    (folder / name).write_bytes(content)
    ext = Path(name).suffix
    expected = problem(name, message) if message else wrong_content(name, ext)
    assert problems_of(folder) == [expected]


def test_header_only_csv_has_no_data_rows(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    (folder / "companies.csv").write_text("id,name,lat,lon,sector,employees\n")
    (folder / "flows.csv").write_text("company_id;direction;resource;quantity;unit")
    assert problems_of(folder) == [
        problem("companies.csv", "aucune ligne de données"),
        problem("flows.csv", "aucune ligne de données"),
    ]


@pytest.mark.parametrize("ext", [".xlsx", ".geojson", ".gpkg", ".parquet"])
def test_header_only_table_has_no_data_rows(
    ext: str, tmp_path: Path, mini_zone: Zone, write_tables: Callable[..., Path]
) -> None:
    empty = Zone(**{**vars(mini_zone), "companies": mini_zone.companies.iloc[:0]})
    folder = write_tables(tmp_path / "zone", ext, empty)
    assert problems_of(folder) == [problem(f"companies{ext}", "aucune ligne de données")]


def test_folder_without_tables(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "notes.txt").write_text("pas une zone")
    (folder / "photo.png").write_bytes(PNG_BYTES)
    assert problems_of(folder) == [missing("documents", "companies"), missing("documents", "flows")]


def test_missing_path(tmp_path: Path) -> None:
    assert problems_of(tmp_path / "nulle-part") == [
        problem("nulle-part", "fichier ou dossier introuvable")
    ]


def test_two_files_for_one_table(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    shutil.copy(folder / "companies.csv", folder / "entreprises.csv")
    assert problems_of(folder) == [
        problem(
            "zone",
            "plusieurs fichiers pour la table « companies » : companies.csv, entreprises.csv",
        )
    ]


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        ("sqlite-without-layers", ["companies", "flows"]),
        ("workbook-without-sheets", ["companies", "flows"]),
        ("zip-of-a-picture", ["companies", "flows"]),
    ],
)
def test_real_containers_without_zone_tables(
    build: str, expected: list[str], tmp_path: Path
) -> None:
    if build == "sqlite-without-layers":
        path = tmp_path / "vide.gpkg"
        gpd.GeoDataFrame({"n": [1]}, geometry=[Point(0, 0)], crs=4326).to_file(path, layer="autre")
    elif build == "workbook-without-sheets":
        path = tmp_path / "vide.xlsx"
        pd.DataFrame({"a": [1]}).to_excel(path, sheet_name="Feuil1", index=False)
    else:
        path = tmp_path / "vide.zip"
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr("photo.png", PNG_BYTES)
    assert problems_of(path) == [missing(path.name, table) for table in expected]


@pytest.mark.parametrize("ext", [".gpkg", ".xlsx", ".zip"])
def test_truncated_container_is_unreadable(ext: str, tmp_path: Path, mini_zone: Zone) -> None:
    whole = export_zone(mini_zone, tmp_path / "zone.gpkg")
    if ext == ".xlsx":
        whole = tmp_path / "zone.xlsx"
        mini_zone.flows.to_excel(whole, sheet_name="flows", index=False)
    elif ext == ".zip":
        whole = tmp_path / "zone.zip"
        with zipfile.ZipFile(whole, "w") as bundle:
            bundle.write(tmp_path / "zone.gpkg", "zone.gpkg")
    path = tmp_path / f"coupe{ext}"
    path.write_bytes(whole.read_bytes()[:600])
    problems = problems_of(path)
    assert problems
    assert all(p.file.startswith("coupe") for p in problems)
    assert problems[0].message.startswith("fichier illisible : ")


def test_csv_with_a_huge_field_is_unreadable(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    (folder / "companies.csv").write_text('id,name,lat,lon\na,"' + "x" * 200_000 + '",55.6,11.1\n')
    assert problems_of(folder) == [
        problem("companies.csv", "une cellule dépasse 32\u202f767 caractères")
    ]


def test_csv_with_a_quote_never_closed(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    text = (folder / "companies.csv").read_text()
    (folder / "companies.csv").write_text(text.replace("gyproc,Gyproc", 'gyproc,"Gyproc'))
    assert problems_of(folder) == [
        problem(
            "companies.csv",
            "guillemet ouvert sur cette ligne et jamais fermé : la suite du fichier ne forme "
            "qu'une seule valeur",
            4,
        )
    ]


def test_csv_quotes_inside_values_are_read_leniently(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    text = (folder / "companies.csv").read_text()
    text = text.replace("gyproc,Gyproc Kalundborg", 'gyproc,Gyproc 5" Kalundborg')
    text = text.replace("refinery,Raffinerie de Kalundborg", 'refinery,"Raffinerie" (DK)')
    (folder / "companies.csv").write_text(text)
    names = load_zone(folder).companies["name"].to_list()
    assert names[1:3] == ["Raffinerie (DK)", 'Gyproc 5" Kalundborg']


def test_unexpected_reader_error_becomes_a_problem(
    tmp_path: Path, mini_zone: Zone, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "zone.xlsx"
    mini_zone.flows.to_excel(path, sheet_name="flows", index=False)

    def broken(*_args: object, **_kwargs: object) -> None:
        message = "lecteur en panne"
        raise RuntimeError(message)

    monkeypatch.setattr(pd, "read_excel", broken)
    assert problems_of(path) == [problem("zone.xlsx", "fichier illisible : lecteur en panne")]


def test_unexpected_validation_error_becomes_a_problem(
    mini_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise TypeError

    monkeypatch.setattr(loading, "build_zone", broken)
    assert problems_of(mini_dir) == [
        problem("mini", "contenu inattendu, la zone n'a pas pu être vérifiée : TypeError")
    ]


def test_reading_and_content_problems_come_together(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    shutil.copytree(mini_dir, folder)
    text = (folder / "companies.csv").read_text()
    (folder / "companies.csv").write_text(text.replace("03.22,", "03.22,,oups"))
    (folder / "flows.csv").write_text(
        (folder / "flows.csv").read_text().replace("fishfarm,input", "fishfarms,input")
    )
    assert problems_of(folder) == [
        problem(
            "companies.csv",
            "ligne de 7 champs alors que l'en-tête en a 6",
            5,
            None,
            "fishfarm,Pisciculture d'Asnæs,55.6615,11.078,03.22,,oups",
        ),
        problem(
            "flows.csv",
            "entreprise inconnue (absente de companies)",
            8,
            "company_id",
            "fishfarms",
        ),
    ]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"max_bytes": 100}, "fichier trop volumineux"),
        ({"max_rows": 3}, "trop de lignes (plus de 3)"),
    ],
)
def test_size_limits(options: dict[str, int], expected: str, mini_dir: Path) -> None:
    problems = problems_of(mini_dir, **options)
    assert problems[0].file == "companies.csv"
    assert problems[0].message.startswith(expected)


# --- the shipped examples -------------------------------------------------------------------


def _data_rows(path: Path) -> list[dict[str, str]]:
    """Read an example CSV independently of the loader: its encoding, its separator."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    header = text.splitlines()[0]
    separator = ";" if header.count(";") > header.count(",") else ","
    rows = csv.DictReader(io.StringIO(text, newline=""), delimiter=separator)
    return [row for row in rows if any((value or "").strip() for value in row.values())]


def _table_file(folder: Path, names: tuple[str, ...]) -> Path | None:
    found = [p for p in folder.iterdir() if p.stem.lower() in names and p.suffix == ".csv"]
    return found[0] if found else None


@pytest.mark.parametrize("name", example_names())
def test_every_example_zone_loads(name: str) -> None:
    folder = data_path("examples", name)
    zone = load_zone(folder)
    assert zone.name == name
    companies = _table_file(folder, ("companies", "entreprises"))
    flows = _table_file(folder, ("flows", "flux"))
    assert companies is not None
    assert flows is not None
    assert len(zone.companies) == len(_data_rows(companies))
    assert len(zone.flows) == len(_data_rows(flows))
    synergies = _table_file(folder, ("synergies",))
    assert len(zone.synergies) == (len(_data_rows(synergies)) if synergies else 0)
    assert zone.companies["id"].is_unique
    assert set(zone.flows["company_id"]) <= set(zone.companies["id"])
    assert zone.companies.crs == "EPSG:4326"
    assert (zone.perimeter is not None) == any(folder.glob("perimet*.*"))


def test_kalundborg_counts(kalundborg_dir: Path) -> None:
    zone = load_zone(kalundborg_dir)
    assert (len(zone.companies), len(zone.flows), len(zone.synergies)) == (12, 42, 20)
    assert zone.companies.set_index("id").at["asnaes", "employees"] == 600
    assert zone.perimeter is not None
    assert list(zone.perimeter.geom_type) == ["Polygon"]


def test_sqlite_database_that_is_not_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "base.gpkg"
    with sqlite3.connect(path) as connection:
        connection.execute("create table t (x int)")
    assert problems_of(path) == [
        problem(
            "base.gpkg",
            "fichier illisible : At least one of the required GeoPackage tables, "
            "gpkg_spatial_ref_sys or gpkg_contents, is missing",
        )
    ]


# --- uploaded files ---------------------------------------------------------------------------


def _files_of(folder: Path) -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(folder.iterdir()) if path.is_file()]


def test_uploaded_files_load_like_their_folder(
    mini_dir: Path, mini_zone: Zone, assert_same_zone: Callable[..., None]
) -> None:
    zone = loading.load_zone_files(_files_of(mini_dir), name="mini")
    assert zone.source == "upload"
    assert_same_zone(zone, mini_zone)


def test_uploaded_geopackage_is_read_as_the_zone(
    tmp_path: Path, mini_zone: Zone, assert_same_zone: Callable[..., None]
) -> None:
    project = export_zone(mini_zone, tmp_path / "projet.gpkg")
    zone = loading.load_zone_files([("projet.gpkg", project.read_bytes())], name="projet")
    assert_same_zone(zone, mini_zone)


def test_uploads_over_the_limit_are_refused_before_reading(mini_dir: Path) -> None:
    files = _files_of(mini_dir)
    total = sum(len(data) for _, data in files)
    with pytest.raises(ZoneError) as caught:
        loading.load_zone_files(files, name="mini", max_bytes=total - 1)
    [only] = caught.value.problems
    assert only.file == "mini"
    assert only.message.startswith("fichier trop volumineux")


def test_uploads_with_too_many_rows_are_refused(mini_dir: Path) -> None:
    with pytest.raises(ZoneError) as caught:
        loading.load_zone_files(_files_of(mini_dir), name="mini", max_rows=2)
    assert any(p.message.startswith("trop de lignes") for p in caught.value.problems)


def test_uploaded_names_cannot_escape_the_temporary_folder(mini_dir: Path, tmp_path: Path) -> None:
    files = [(f"../../{name}", data) for name, data in _files_of(mini_dir)]
    zone = loading.load_zone_files(files, name="mini")
    assert len(zone.companies) == 4
    assert not any(tmp_path.parent.glob("companies.csv"))
