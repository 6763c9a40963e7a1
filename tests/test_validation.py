"""Tests of eit_geo.validation: each breach of the data contract, with its exact Problem."""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import MultiPoint, Point, Polygon

from eit_geo.errors import Problem, ZoneError
from eit_geo.loading import load_zone
from eit_geo.zone import COMPANY_COLUMNS, FLOW_COLUMNS, SYNERGY_COLUMNS, Zone

MAX_YEAR = dt.datetime.now(tz=dt.UTC).year + 1

MISSING_COLUMN = "colonne obligatoire absente"
NOT_NUMBER = "ce n'est pas un nombre"
NOT_POSITIVE = "la quantité doit être un nombre strictement positif"
UNKNOWN_COMPANY = "entreprise inconnue (absente de companies)"
UNKNOWN_UNIT = "unité inconnue : attendu t/an, m3/an ou MWh/an (t/yr, m3/yr, MWh/yr)"
UNKNOWN_RESOURCE = (
    "code de ressource inconnu : un code de base (ex. steam, gypsum) ou un code déchet européen "
    "à six chiffres (ex. 10 01 02)"
)
OUTPUT_CHAPTER = "une offre doit donner un code déchet complet à six chiffres, pas un chapitre"
BAD_YEAR = f"année invalide (attendu un entier entre 1900 et {MAX_YEAR})"
LAT_RANGE = "latitude hors de [-90, 90]"
LON_RANGE = "longitude hors de [-180, 180]"

# (file, text to replace, replacement, the one Problem expected); rows count the header as 1.
BAD_CASES: dict[str, tuple[str, str, str, Problem]] = {
    "missing name column": (
        "companies.csv",
        "id,name,",
        "id,titre,",
        Problem("companies.csv", None, "name", None, MISSING_COLUMN),
    ),
    "missing company_id column": (
        "flows.csv",
        "company_id,direction",
        "societe,direction",
        Problem("flows.csv", None, "company_id", None, MISSING_COLUMN),
    ),
    "missing to_id column": (
        "synergies.csv",
        "from_id,to_id,",
        "from_id,vers_qui,",
        Problem("synergies.csv", None, "to_id", None, MISSING_COLUMN),
    ),
    "duplicate id": (
        "companies.csv",
        "fishfarm,Pisciculture d'Asnæs,55.6615,11.078,03.22,\n",
        "fishfarm,Pisciculture d'Asnæs,55.6615,11.078,03.22,\nasnaes,Asnæs bis,55.66,11.08,,\n",
        Problem("companies.csv", 6, "id", "asnaes", "identifiant en double (déjà ligne 2)"),
    ),
    "duplicate column": (
        "companies.csv",
        "sector,employees",
        "sector,secteur",
        Problem("companies.csv", None, "secteur", None, "colonne présente deux fois"),
    ),
    "unknown company_id": (
        "flows.csv",
        "fishfarm,input",
        "fishfarms,input",
        Problem("flows.csv", 8, "company_id", "fishfarms", UNKNOWN_COMPANY),
    ),
    "latitude out of range": (
        "companies.csv",
        "55.6607,11.0812",
        "95.6607,11.0812",
        Problem("companies.csv", 2, "lat", "95.6607", LAT_RANGE),
    ),
    "longitude out of range": (
        "companies.csv",
        "55.6607,11.0812",
        "55.6607,191.0812",
        Problem("companies.csv", 2, "lon", "191.0812", LON_RANGE),
    ),
    "latitude and longitude swapped": (
        "companies.csv",
        "55.6607,11.0812",
        "11.0812,55.6607",
        Problem(
            "companies.csv",
            2,
            "lat",
            "11.0812 ; 55.6607",
            "latitude et longitude semblent inversées (11.0812, 55.6607)",
        ),
    ),
    "latitude not a number": (
        "companies.csv",
        "55.6607,",
        "55°39'N,",
        Problem("companies.csv", 2, "lat", "55°39'N", NOT_NUMBER),
    ),
    "zero quantity": (
        "flows.csv",
        "150000,t/yr",
        "0,t/yr",
        Problem("flows.csv", 3, "quantity", "0", NOT_POSITIVE),
    ),
    "negative quantity": (
        "flows.csv",
        "150000,t/yr",
        "-150000,t/yr",
        Problem("flows.csv", 3, "quantity", "-150000", NOT_POSITIVE),
    ),
    "non-numeric quantity": (
        "flows.csv",
        "150000,t/yr",
        "beaucoup,t/yr",
        Problem("flows.csv", 3, "quantity", "beaucoup", NOT_NUMBER),
    ),
    "non-numeric synergy quantity": (
        "synergies.csv",
        "150000,t/yr,1993",
        "n/c,t/yr,1993",
        Problem("synergies.csv", 2, "quantity", "n/c", NOT_NUMBER),
    ),
    "unknown unit": (
        "flows.csv",
        "150000,t/yr",
        "150000,kg/yr",
        Problem("flows.csv", 3, "unit", "kg/yr", UNKNOWN_UNIT),
    ),
    "unknown resource code": (
        "flows.csv",
        "refinery,input,steam",
        "refinery,input,unobtainium",
        Problem("flows.csv", 5, "resource", "unobtainium", UNKNOWN_RESOURCE),
    ),
    "unknown EWC chapter": (
        "flows.csv",
        "asnaes,output,10 01 05",
        "asnaes,output,99 01 05",
        Problem("flows.csv", 3, "resource", "99 01 05", UNKNOWN_RESOURCE),
    ),
    "output naming an EWC chapter": (
        "flows.csv",
        "asnaes,output,10 01 05",
        "asnaes,output,10",
        Problem("flows.csv", 3, "resource", "10", OUTPUT_CHAPTER),
    ),
    "output naming an EWC sub-chapter": (
        "flows.csv",
        "asnaes,output,10 01 05",
        "asnaes,output,10 01",
        Problem("flows.csv", 3, "resource", "10 01", OUTPUT_CHAPTER),
    ),
    "unknown direction": (
        "flows.csv",
        "refinery,input",
        "refinery,achat",
        Problem(
            "flows.csv",
            5,
            "direction",
            "achat",
            "sens inconnu : attendu output/sortie/offre ou input/entrée/besoin",
        ),
    ),
    "empty required value": (
        "flows.csv",
        "refinery,input,steam,",
        "refinery,input,,",
        Problem("flows.csv", 5, "resource", None, "valeur obligatoire vide"),
    ),
    "since before 1900": (
        "synergies.csv",
        "1993",
        "1850",
        Problem("synergies.csv", 2, "since", "1850", BAD_YEAR),
    ),
    "since in the future": (
        "synergies.csv",
        "1993",
        str(MAX_YEAR + 1),
        Problem("synergies.csv", 2, "since", str(MAX_YEAR + 1), BAD_YEAR),
    ),
    "since not a year": (
        "synergies.csv",
        "1993",
        "vers 1990",
        Problem("synergies.csv", 2, "since", "vers 1990", BAD_YEAR),
    ),
    "since with decimals": (
        "synergies.csv",
        "1993",
        "1993.5",
        Problem("synergies.csv", 2, "since", "1993.5", BAD_YEAR),
    ),
    "unknown from_id": (
        "synergies.csv",
        "refinery,asnaes",
        "raffinerie,asnaes",
        Problem("synergies.csv", 4, "from_id", "raffinerie", UNKNOWN_COMPANY),
    ),
    "unknown to_id": (
        "synergies.csv",
        "asnaes,gyproc",
        "asnaes,gyprok",
        Problem("synergies.csv", 2, "to_id", "gyprok", UNKNOWN_COMPANY),
    ),
    "synergy with itself": (
        "synergies.csv",
        "asnaes,gyproc",
        "asnaes,asnaes",
        Problem(
            "synergies.csv", 2, "to_id", "asnaes", "une synergie relie deux entreprises différentes"
        ),
    ),
    "negative headcount": (
        "companies.csv",
        ",600",
        ",-3",
        Problem(
            "companies.csv",
            2,
            "employees",
            "-3",
            "effectif invalide (attendu un entier positif ou nul)",
        ),
    ),
}


@pytest.mark.parametrize(("file", "old", "new", "expected"), BAD_CASES.values(), ids=BAD_CASES)
def test_one_fault_gives_one_exact_problem(  # noqa: PLR0917 - parameters and fixtures
    file: str,
    old: str,
    new: str,
    expected: Problem,
    mini_dir: Path,
    copy_zone: Callable[[Path], Path],
    edit_file: Callable[[Path, str, str], None],
) -> None:
    folder = copy_zone(mini_dir)
    edit_file(folder / file, old, new)
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    assert caught.value.problems == [expected]


def test_many_faults_are_all_reported_at_once(
    mini_dir: Path,
    copy_zone: Callable[[Path], Path],
    edit_file: Callable[[Path, str, str], None],
) -> None:
    folder = copy_zone(mini_dir)
    picked = [
        "duplicate id",
        "longitude out of range",
        "unknown company_id",
        "negative quantity",
        "unknown resource code",
        "since before 1900",
        "unknown to_id",
    ]
    for name in picked:
        file, old, new, _ = BAD_CASES[name]
        edit_file(folder / file, old, new)
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    problems = caught.value.problems
    assert sorted(problems, key=str) == sorted((BAD_CASES[n][3] for n in picked), key=str)
    text = str(caught.value)
    assert text.startswith("7 problème(s) : rien n'a été chargé.")
    assert (
        "- flows.csv, ligne 8, colonne « company_id » : entreprise inconnue (absente de "
        "companies) (valeur : « fishfarms »)"
    ) in text.splitlines()


def test_french_spreadsheet_problems_name_file_spreadsheet_row_and_header(
    zones_dir: Path, copy_zone: Callable[[Path], Path]
) -> None:
    """A French file's problems name its columns as the user wrote them (quantité, unité)."""
    folder = copy_zone(zones_dir / "francais-cp1252")
    path = folder / "flux.csv"
    path.write_bytes(path.read_bytes().replace(b"1 200,5;t/an", b"-1 200,5;kg/an"))
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    assert caught.value.problems == [
        Problem("flux.csv", 4, "quantité", "-1 200,5", NOT_POSITIVE),
        Problem("flux.csv", 4, "unité", "kg/an", UNKNOWN_UNIT),
    ]


@pytest.mark.parametrize(
    ("name", "message", "line"),
    [
        (
            "duplicate id",
            "duplicate id (already on row 2)",
            "companies.csv, row 6, column “id”: duplicate id (already on row 2) (value: “asnaes”)",
        ),
        (
            "unknown unit",
            "unknown unit: expected t/yr, m3/yr or MWh/yr (t/an, m3/an, MWh/an)",
            "flows.csv, row 3, column “unit”: unknown unit: expected t/yr, m3/yr or MWh/yr "
            "(t/an, m3/an, MWh/an) (value: “kg/yr”)",
        ),
        (
            "since before 1900",
            f"invalid year (expected a whole number between 1900 and {MAX_YEAR})",
            "synergies.csv, row 2, column “since”: invalid year (expected a whole number "
            f"between 1900 and {MAX_YEAR}) (value: “1850”)",
        ),
        (
            "missing name column",
            "required column missing",
            "companies.csv, column “name”: required column missing",
        ),
    ],
)
def test_english_messages(  # noqa: PLR0917 - parameters and fixtures
    name: str,
    message: str,
    line: str,
    mini_dir: Path,
    copy_zone: Callable[[Path], Path],
    edit_file: Callable[[Path, str, str], None],
) -> None:
    file, old, new, french = BAD_CASES[name]
    folder = copy_zone(mini_dir)
    edit_file(folder / file, old, new)
    with pytest.raises(ZoneError) as caught:
        load_zone(folder, lang="en")
    [found] = caught.value.problems
    assert found.message == message
    assert (found.file, found.row, found.column, found.value) == (
        french.file,
        french.row,
        french.column,
        french.value,
    )
    assert str(found) == line
    assert str(caught.value).splitlines() == ["1 problem(s): nothing was loaded.", f"- {line}"]


# --- geographic companies and perimeter -----------------------------------------------------


def _geo_zone(folder: Path, mini_dir: Path, companies: gpd.GeoDataFrame) -> Path:
    folder.mkdir()
    companies.to_file(folder / "companies.gpkg")
    (folder / "flows.csv").write_bytes((mini_dir / "flows.csv").read_bytes())
    return folder


def _companies(geometries: list[object], crs: str | None = "EPSG:4326") -> gpd.GeoDataFrame:
    ids = ["asnaes", "refinery", "gyproc", "fishfarm"]
    return gpd.GeoDataFrame({"id": ids, "name": ids}, geometry=geometries, crs=crs)


POINTS = [
    Point(11.0812, 55.6607),
    Point(11.095, 55.665),
    Point(11.1, 55.6665),
    Point(11.078, 55.6615),
]


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        (
            Polygon([(11.09, 55.66), (11.1, 55.66), (11.1, 55.67)]),
            Problem(
                "companies.gpkg",
                2,
                "geometry",
                None,
                "la géométrie doit être un point (reçu : Polygon)",
            ),
        ),
        (None, Problem("companies.gpkg", 2, "geometry", None, "géométrie absente ou vide")),
        (
            MultiPoint([(11.09, 55.66), (11.1, 55.67)]),
            Problem(
                "companies.gpkg",
                2,
                "geometry",
                None,
                "la géométrie doit être un point (reçu : MultiPoint)",
            ),
        ),
    ],
    ids=["polygon", "none", "multipoint"],
)
def test_company_geometry_must_be_a_point(
    geometry: object, expected: Problem, tmp_path: Path, mini_dir: Path
) -> None:
    companies = _companies([POINTS[0], geometry, *POINTS[2:]])
    folder = _geo_zone(tmp_path / "zone", mini_dir, companies)
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    assert caught.value.problems == [expected]


def test_one_part_multipoints_are_points(tmp_path: Path, mini_dir: Path) -> None:
    companies = _companies([MultiPoint([point]) for point in POINTS])
    folder = _geo_zone(tmp_path / "zone", mini_dir, companies)
    zone = load_zone(folder)
    assert list(zone.companies.geom_type) == ["Point"] * 4
    assert zone.companies.geometry.geom_equals(gpd.GeoSeries(POINTS, crs=4326)).all()


PROJECTED_NO_CRS = (
    "coordonnées en mètres (projetées, Lambert-93 ?) sans système de coordonnées déclaré : "
    "déclarez-le dans le fichier ou importez-le avec « eit-geo import » (option --crs)"
)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
@pytest.mark.parametrize("name", ["companies.gpkg", "companies.geojson"])
def test_projected_points_without_crs_are_one_plain_problem(
    name: str, tmp_path: Path, mini_dir: Path
) -> None:
    """A GeoPackage without CRS, a GeoJSON without crs member (read as WGS84), in Lambert-93."""
    lambert = _companies(POINTS).to_crs("EPSG:2154").set_crs(None, allow_override=True)
    folder = tmp_path / "zone"
    folder.mkdir()
    lambert.to_file(folder / name)
    (folder / "flows.csv").write_bytes((mini_dir / "flows.csv").read_bytes())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no raw Python warning line either
        with pytest.raises(ZoneError) as caught:
            load_zone(folder)
    assert caught.value.problems == [Problem(name, None, "geometry", None, PROJECTED_NO_CRS)]


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_geojson_without_geometry_uses_lat_lon(tmp_path: Path, mini_dir: Path) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    table = pd.read_csv(mini_dir / "companies.csv", dtype=str)
    gpd.GeoDataFrame(table, geometry=[None] * len(table)).to_file(folder / "companies.geojson")
    (folder / "flows.csv").write_bytes((mini_dir / "flows.csv").read_bytes())
    zone = load_zone(folder)
    assert zone.companies.geometry.y.to_list() == [55.6607, 55.665, 55.6665, 55.6615]


def test_perimeter_is_reprojected(tmp_path: Path, mini_dir: Path, mini_zone: Zone) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    for name in ("companies.csv", "flows.csv"):
        (folder / name).write_bytes((mini_dir / name).read_bytes())
    assert mini_zone.perimeter is not None
    mini_zone.perimeter.to_crs("EPSG:2154").to_file(folder / "perimetre.gpkg")
    zone = load_zone(folder)
    assert zone.perimeter is not None
    assert zone.perimeter.crs == "EPSG:4326"
    assert zone.perimeter.geom_equals_exact(mini_zone.perimeter, tolerance=1e-7).all()


@pytest.mark.parametrize(
    ("name", "write", "expected"),
    [
        (
            "perimeter.geojson",
            lambda path: gpd.GeoDataFrame(geometry=[Point(11.08, 55.66)], crs=4326).to_file(path),
            Problem(
                "perimeter.geojson",
                1,
                "geometry",
                None,
                "le périmètre doit être un polygone (reçu : Point)",
            ),
        ),
        (
            "perimeter.csv",
            lambda path: path.write_text("name\nzone\n"),
            Problem("perimeter.csv", None, "geometry", None, MISSING_COLUMN),
        ),
    ],
    ids=["point", "csv"],
)
def test_bad_perimeter(
    name: str, write: Callable[[Path], None], expected: Problem, tmp_path: Path, mini_dir: Path
) -> None:
    folder = tmp_path / "zone"
    folder.mkdir()
    for table in ("companies.csv", "flows.csv"):
        (folder / table).write_bytes((mini_dir / table).read_bytes())
    write(folder / name)
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    assert caught.value.problems == [expected]


# --- the Zone built -------------------------------------------------------------------------


def test_zone_columns_and_types(mini_zone: Zone) -> None:
    companies = mini_zone.companies
    assert tuple(companies.columns) == (*COMPANY_COLUMNS, "geometry")
    assert companies.crs == "EPSG:4326"
    assert companies["sector"].to_list() == ["35.11", "19.20", "23.62", "03.22"]
    assert companies["employees"].to_list() == [600, 250, 175, pd.NA]
    assert tuple(mini_zone.flows.columns) == ("flow_id", *FLOW_COLUMNS)
    assert mini_zone.flows["flow_id"].to_list() == list(range(8))
    assert mini_zone.flows["quantity"].dtype == np.float64
    assert mini_zone.flows.at[7, "resource"] == "10"  # an input may name a chapter
    assert tuple(mini_zone.synergies.columns) == SYNERGY_COLUMNS
    assert mini_zone.synergies["since"].to_list() == [1993, 1982, pd.NA, 1989]
    assert mini_zone.company_names()["gyproc"] == "Gyproc Kalundborg"


def test_extra_columns_are_kept_and_derived_ones_recomputed(
    mini_dir: Path,
    copy_zone: Callable[[Path], Path],
    edit_file: Callable[[Path, str, str], None],
) -> None:
    folder = copy_zone(mini_dir)
    flows = folder / "flows.csv"
    lines = flows.read_text().splitlines()
    lines = [f"{line},family,flow_id,note" if i == 0 else f"{line},gas,99,n{i}"
             for i, line in enumerate(lines)]  # fmt: skip
    flows.write_text("\n".join(lines) + "\n")
    edit_file(folder / "companies.csv", "employees\n", "employees,remarque\n")
    zone = load_zone(folder)
    assert zone.flows["family"].to_list()[:3] == ["energy", "material", "energy"]
    assert zone.flows["flow_id"].to_list() == list(range(8))
    assert zone.flows["note"].to_list()[:2] == ["n1", "n2"]
    assert list(zone.companies.columns) == [*COMPANY_COLUMNS, "remarque", "geometry"]


# Incomplete but honest data (data-format.md): kept, with a status, and loaded back.
HONEST_FLOWS = (
    "company_id,direction,resource,quantity,unit,label,quantity_status\n"
    "asnaes,output,,,,boues de STEP,\n"
    "asnaes,output,10 01 05,150000,t/yr,Gypse de désulfuration,publiée\n"
    "gyproc,input,gypsum,,t/yr,Gypse pour plaques de plâtre,inconnue\n"
    "refinery,input,steam,100000,MWh/yr,,estimate\n"
)
HONEST_COMPANIES = (
    "id,name,lat,lon,position_status\n"
    "asnaes,Asnæs,55.6607,11.0812,\n"
    "refinery,Raffinerie,55.665,11.095,source\n"
    "gyproc,Gyproc,,,à localiser\n"
)


def _honest_zone(
    folder: Path, companies: str = HONEST_COMPANIES, flows: str = HONEST_FLOWS
) -> Path:
    folder.mkdir()
    (folder / "companies.csv").write_text(companies, encoding="utf-8")
    (folder / "flows.csv").write_text(flows, encoding="utf-8")
    return folder


def test_honest_gaps_are_kept_with_their_status(tmp_path: Path) -> None:
    zone = load_zone(_honest_zone(tmp_path / "zone"))
    flows = zone.flows
    assert list(flows["resource"]) == ["", "10 01 05", "gypsum", "steam"]
    assert list(flows["family"]) == ["", "material", "material", "energy"]
    assert list(flows["resource_status"]) == ["à coder", "", "", ""]
    assert list(flows["quantity_status"]) == ["unknown", "published", "unknown", "estimate"]
    assert flows["quantity"].isna().tolist() == [True, False, True, False]
    assert list(flows["unit"]) == ["", "t/yr", "t/yr", "MWh/yr"]
    companies = zone.companies.set_index("id")
    assert companies.geometry.isna().tolist() == [False, False, True]
    assert companies.at["gyproc", "position_status"] == "à localiser"


def test_honest_gaps_survive_the_geopackage(tmp_path: Path) -> None:
    from eit_geo.export import export_zone  # noqa: PLC0415 - only this test writes

    zone = load_zone(_honest_zone(tmp_path / "zone"))
    again = load_zone(export_zone(zone, tmp_path / "zone.gpkg"))
    assert again.companies.geometry.isna().tolist() == [False, False, True]
    assert list(again.flows["resource"]) == list(zone.flows["resource"])
    assert list(again.flows["quantity_status"]) == list(zone.flows["quantity_status"])
    assert again.flows["quantity"].isna().tolist() == [True, False, True, False]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (  # an empty resource needs its free text
            "asnaes,output,,,,boues de STEP,",
            "asnaes,output,,,,,",
            Problem("flows.csv", 2, "resource", None, "valeur obligatoire vide"),
        ),
        (
            ",publiée\n",
            ",à peu près\n",
            Problem(
                "flows.csv",
                3,
                "quantity_status",
                "à peu près",
                "statut de quantité inconnu : attendu published, estimate ou unknown "
                "(publiée, estimation, inconnue)",
            ),
        ),
    ],
)
def test_dishonest_gaps_are_refused(old: str, new: str, expected: Problem, tmp_path: Path) -> None:
    folder = _honest_zone(tmp_path / "zone", flows=HONEST_FLOWS.replace(old, new))
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    assert caught.value.problems == [expected]


def test_a_missing_position_needs_its_status(tmp_path: Path) -> None:
    folder = _honest_zone(tmp_path / "zone", HONEST_COMPANIES.replace("à localiser", ""))
    with pytest.raises(ZoneError) as caught:
        load_zone(folder)
    empty = "valeur obligatoire vide"
    assert caught.value.problems == [
        Problem("companies.csv", 4, "lat", None, empty),
        Problem("companies.csv", 4, "lon", None, empty),
    ]


def test_geopackage_company_to_locate_has_no_geometry(tmp_path: Path, mini_dir: Path) -> None:
    companies = _companies([POINTS[0], None, *POINTS[2:]])
    companies["position_status"] = ["", "à localiser", "", ""]
    zone = load_zone(_geo_zone(tmp_path / "zone", mini_dir, companies))
    assert zone.companies.geometry.isna().tolist() == [False, True, False, False]


def test_a_unit_without_a_period_is_an_estimate(tmp_path: Path) -> None:
    flows = (
        "company_id,direction,resource,quantity,unit,label\n"
        "asnaes,output,10 01 05,80,t,Gypse\n"
        "gyproc,input,gypsum,200000,t/an,Gypse\n"
        "refinery,input,steam,100000,MWh,\n"
    )
    zone = load_zone(_honest_zone(tmp_path / "zone", flows=flows))
    assert list(zone.flows["unit"]) == ["t/yr", "t/yr", "MWh/yr"]
    assert list(zone.flows["quantity_status"]) == ["estimate", "", "estimate"]
