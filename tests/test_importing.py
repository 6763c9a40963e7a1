"""Tests of eit_geo.importing: real inventories of every shape become a zone that loads back."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from importing_files import (
    CEMENT,
    EXPORT_FLOWS,
    GREENHOUSE,
    LIST_HEADERS,
    SAWMILL,
    SEWAGE,
    SITES,
    STEEL,
    Site,
    write_campaign,
    write_cci_csv,
    write_cci_xlsx,
    write_export,
    write_list_sheet,
    write_sirene_positions,
    zip_folder,
)
from openpyxl import Workbook

from eit_geo.import_mapping import read_mapping
from eit_geo.import_report import report_text
from eit_geo.importing import (
    ImportResult,
    build_import,
    plan_import,
    plan_uploads,
    refresh_shapes,
    write_import,
)
from eit_geo.loading import load_zone
from eit_geo.matching import find_substitutions

if TYPE_CHECKING:
    from eit_geo.zone import Zone

METRE_IN_DEGREES = 1 / 111_000

# The chamber-of-commerce inventory once imported: (company, direction, label, code, quantity,
# unit, status), in the file's order.
CCI_EXPECTED = [
    (STEEL, "output", "laitier de haut fourneau", "10 02 02", 300_000.0, "t/yr", "estimate"),
    (STEEL, "output", "chaleur fatale 40°C", "waste_heat", 120_000.0, "MWh/yr", "published"),
    (STEEL, "input", "eaux de refroidissement", "cooling_water", 1_277_500.0, "m3/yr", "estimate"),
    (CEMENT, "input", "laitier de haut fourneau", "10 02 02", 200_000.0, "t/yr", "estimate"),
    (CEMENT, "input", "sciure", "03 01 05", 5_000.0, "t/yr", "published"),
    (CEMENT, "output", "produits hors spécifications", "", None, "", "unknown"),
    (SAWMILL, "output", "sciure", "03 01 05", 4_200.0, "t/yr", "published"),
    (SAWMILL, "output", "palettes bois", "15 01 03", 80.0, "t/yr", "estimate"),
    (SEWAGE, "output", "boues de STEP", "19 08 05", None, "", "unknown"),
    (
        SEWAGE,
        "output",
        "eaux usées traitées",
        "treated_wastewater",
        4_380_000.0,
        "m3/yr",
        "estimate",
    ),
    (GREENHOUSE, "input", "chaleur fatale 40°C", "waste_heat", 8_000.0, "MWh/yr", "published"),
    (GREENHOUSE, "input", "vapeur BP 6 bars", "steam", None, "", "unknown"),
]


def spreadsheet_csv(path: Path, lines: list[str], encoding: str = "cp1252") -> Path:
    """Save text lines as a spreadsheet saves a CSV: Windows line ends, French Excel's encoding."""
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def run_import(tmp_path: Path, *sources: Path, **options: object) -> tuple[ImportResult, Zone]:
    """Import, write the GeoPackage, and load it back as any zone is loaded."""
    plan = plan_import(list(sources), **options)  # type: ignore[arg-type]
    result = build_import(plan)
    assert result.zone is not None, result.report.problems
    out = tmp_path / "out" / "zone.gpkg"
    write_import(result, out)
    return result, load_zone(out)


def assert_positions(zone: Zone, sites: tuple[Site, ...], ids: list[str] | None = None) -> None:
    companies = zone.companies.set_index("id")
    ids = ids or [site.siret for site in sites]
    points = companies.loc[ids].geometry
    assert np.allclose(points.y, [s.lat for s in sites], atol=METRE_IN_DEGREES)
    assert np.allclose(points.x, [s.lon for s in sites], atol=METRE_IN_DEGREES)


def flows_as_rows(zone: Zone) -> list[tuple[object, ...]]:
    flows = zone.flows
    return [
        (
            row.company_id,
            row.direction,
            row.label,
            row.resource,
            None if pd.isna(row.quantity) else row.quantity,
            row.unit,
            row.quantity_status,
        )
        for row in flows.itertuples()
    ]


def cci_expected(ids: dict[Site, str] | None = None) -> list[tuple[object, ...]]:
    ids = ids or {}
    return [(ids.get(site, site.siret), *rest) for site, *rest in CCI_EXPECTED]


def lead(zone: Zone, offer: str, need: str, code: str) -> pd.Series:
    """The candidate exchange from ``offer`` to ``need`` on ``code`` (fails if absent)."""
    found = find_substitutions(zone)
    rows = found[
        (found["from_id"] == offer) & (found["to_id"] == need) & (found["resource"] == code)
    ]
    assert len(rows) == 1, found[["from_id", "to_id", "resource"]]
    return rows.iloc[0]


# -- another tool's report: title rows above the header, a « Total » row at the end


@pytest.mark.parametrize("name", ["export.csv", "export.xlsx"])
def test_report_with_title_rows_and_a_total(tmp_path: Path, name: str) -> None:
    source = write_export(tmp_path / name)
    result, zone = run_import(tmp_path, source)
    [table] = result.report.tables
    assert (table.shape, table.table.header_row, table.table.totals) == ("flat", 4, (8,))
    assert table.columns["Tonnage annuel"] == "quantity"
    assert list(zone.companies["id"]) == [site.siret for site, *_ in EXPORT_FLOWS]
    codes = ["10 02 02", "10 02 02", "03 01 05"]
    directions = {"Sortant": "output", "Entrant": "input"}
    assert flows_as_rows(zone) == [  # « t » under « Tonnage annuel »: tonnes a year, as given
        (site.siret, directions[sens], label, code, float(tonnes.replace(" ", "")), "t/yr",
         "published")
        for (site, sens, label, tonnes, _), code in zip(EXPORT_FLOWS, codes, strict=True)
    ]  # fmt: skip
    said = report_text(result.report)
    assert "en-tête trouvé ligne 4" in said
    assert "ligne(s) de total laissée(s) de côté : 8" in said
    lead(zone, STEEL.siret, CEMENT.siret, "10 02 02")


def test_repeated_and_blank_headers_are_told_apart(tmp_path: Path) -> None:
    source = tmp_path / "doublons.csv"
    lines = [
        "Raison sociale;Commune;Commune;Latitude;Longitude;Sens;Ressource;;",
        f"{SAWMILL.name};Loon-Plage;Nord;{SAWMILL.lat};{SAWMILL.lon};Sortant;sciure;;",
    ]
    spreadsheet_csv(source, lines)
    result, zone = run_import(tmp_path, source)
    [table] = result.report.tables
    assert list(table.columns) == [
        "Raison sociale", "Commune", "Commune (2)", "Latitude", "Longitude", "Sens", "Ressource"
    ]  # fmt: skip
    assert table.columns["Commune (2)"] == ""  # its field taken by the first: left aside, said
    assert list(zone.flows["resource"]) == ["03 01 05"]


@pytest.mark.parametrize(
    ("header", "status"),
    [("Tonnage estimé", "estimate"), ("Estimated tonnage", "estimate"), ("Tonnage", "published")],
)
def test_a_quantity_header_saying_estimated(tmp_path: Path, header: str, status: str) -> None:
    lines = [
        f"Raison sociale;Latitude;Longitude;Sens;Ressource;{header};Unité",
        f"{SAWMILL.name};{SAWMILL.lat};{SAWMILL.lon};Sortant;sciure;4 200;t/an",
    ]
    _, zone = run_import(tmp_path, spreadsheet_csv(tmp_path / "inventaire.csv", lines))
    assert (zone.flows["quantity"].iloc[0], zone.flows["quantity_status"].iloc[0]) == (
        4200.0,
        status,
    )


def test_a_reliability_column_marks_estimates(tmp_path: Path) -> None:
    source = tmp_path / "fiabilite.csv"
    lines = [
        "Raison sociale;Latitude;Longitude;Sens;Ressource;Quantité;Unité;Fiabilité de la donnée",
        f"{SAWMILL.name};{SAWMILL.lat};{SAWMILL.lon};Sortant;sciure;4 200;t/an;Mesuré",
        f"{SAWMILL.name};{SAWMILL.lat};{SAWMILL.lon};Sortant;écorces;800;t/an;À confirmer",
        f"{CEMENT.name};{CEMENT.lat};{CEMENT.lon};Entrant;sciure;5 000;t/an;Ordre de grandeur",
    ]
    spreadsheet_csv(source, lines)
    result, zone = run_import(tmp_path, source)
    [table] = result.report.tables
    assert table.columns["Fiabilité de la donnée"] == "quantity_status"
    assert list(zone.flows["quantity"]) == [4200.0, 800.0, 5000.0]
    assert list(zone.flows["quantity_status"]) == ["published", "estimate", "estimate"]


def test_the_direction_given_by_sheet_names(tmp_path: Path) -> None:
    # no « sens » column: the workbook keeps its needs and its offers on two sheets
    source = tmp_path / "inventaire.xlsx"
    workbook = Workbook()
    needs = workbook.active
    needs.title = "Ressources entrantes"
    offers = workbook.create_sheet("Ressources sortantes")
    for sheet in (needs, offers):
        sheet.append(["Entreprise", "Latitude", "Longitude", "Ressource", "Quantité", "Unité"])
    needs.append([CEMENT.name, CEMENT.lat, CEMENT.lon, "laitier de haut fourneau", 80_000, "t/an"])
    offers.append([STEEL.name, STEEL.lat, STEEL.lon, "laitier", 120_000, "t/an"])
    workbook.save(source)
    result, zone = run_import(tmp_path, source)
    cement, steel = "cimenterie-des-dunes", "acierie-du-littoral"
    assert [row[:4] for row in flows_as_rows(zone)] == [
        (cement, "input", "laitier de haut fourneau", "10 02 02"),
        (steel, "output", "laitier", "10 02 02"),
    ]
    said = report_text(result.report)
    assert "« inventaire.xlsx:Ressources entrantes » donne des besoins (entrants)" in said
    assert "« inventaire.xlsx:Ressources sortantes » donne des offres (sortants)" in said
    lead(zone, steel, cement, "10 02 02")


def test_the_direction_given_by_file_names(tmp_path: Path) -> None:
    folder = tmp_path / "collecte"
    folder.mkdir()
    header = "Raison sociale;Latitude;Longitude;Ressource"
    for name, site, resource in (
        ("besoins.csv", CEMENT, "sciure"),
        ("rejets.csv", SAWMILL, "sciure"),
    ):
        row = f"{site.name};{site.lat};{site.lon};{resource}".replace(".", ",")
        (folder / name).write_bytes(f"{header}\r\n{row}\r\n".encode("cp1252"))
    _, zone = run_import(tmp_path, folder)
    directions = dict(zip(zone.flows["company_id"], zone.flows["direction"], strict=True))
    assert directions == {"cimenterie-des-dunes": "input", "scierie-du-nord": "output"}
    lead(zone, "scierie-du-nord", "cimenterie-des-dunes", "03 01 05")


def test_establishments_and_flows_on_two_sheets(tmp_path: Path) -> None:
    # a tool's export: its establishments on one sheet, the flows declared (by SIRET) on another
    source = tmp_path / "export-outil.xlsx"
    workbook = Workbook()
    sites = workbook.active
    sites.title = "Établissements"
    sites.append(["N° SIRET", "Nom de l'établissement", "Ville", "Lat", "Long"])
    for site in (SAWMILL, GREENHOUSE):
        sites.append([site.siret, site.name, site.commune, site.lat, site.lon])
    flows = workbook.create_sheet("Flux déclarés")
    flows.append(["SIRET", "Entrée / Sortie", "Matière", "Volume annuel", "Unité"])
    flows.append([SAWMILL.siret, "S", "Sciure de bois", "450", "tonnes"])
    flows.append([GREENHOUSE.siret, "E", "Chaleur (70°C)", "3", "GWh"])
    workbook.save(source)
    result, zone = run_import(tmp_path, source)
    assert [p.shape for p in result.report.tables] == ["companies", "flows"]
    assert list(zone.companies["name"]) == [SAWMILL.name, GREENHOUSE.name]
    assert flows_as_rows(zone) == [  # « Volume annuel »: the units are per year
        (SAWMILL.siret, "output", "Sciure de bois", "03 01 05", 450.0, "t/yr", "published"),
        (GREENHOUSE.siret, "input", "Chaleur (70°C)", "hot_water", 3000.0, "MWh/yr", "published"),
    ]


def test_an_english_export_reads_thousands_commas(tmp_path: Path) -> None:
    source = tmp_path / "export.csv"
    rows = [
        "Company,Latitude,Longitude,Flow type,Material,Annual amount,Units",
        f'"{STEEL.name}",{STEEL.lat},{STEEL.lon},Output,Blast furnace slag,"250,000",tonnes',
        f'"{CEMENT.name}",{CEMENT.lat},{CEMENT.lon},Input,slag,"180,000",t',
        f'"{SAWMILL.name}",{SAWMILL.lat},{SAWMILL.lon},Output,Sawdust,"1,200.5",t/yr',
    ]
    spreadsheet_csv(source, rows, encoding="utf-8")
    result, zone = run_import(tmp_path, source, lang="en")
    assert list(zone.flows["quantity"]) == [250_000.0, 180_000.0, 1200.5]
    assert list(zone.flows["quantity_status"]) == ["published"] * 3
    assert "comma read as a thousands separator" in report_text(result.report)


def test_a_comma_nothing_decides_is_read_as_decimal_and_said(tmp_path: Path) -> None:
    source = tmp_path / "inventaire.csv"
    rows = [
        "Raison sociale;Latitude;Longitude;Sens;Ressource;Quantité;Unité",
        f"{STEEL.name};{STEEL.lat};{STEEL.lon};Sortant;laitier;250,000;t/an",
    ]
    spreadsheet_csv(source, rows, encoding="utf-8")
    result, zone = run_import(tmp_path, source)
    assert (zone.flows["quantity"].iloc[0], zone.flows["quantity_status"].iloc[0]) == (
        250.0,
        "estimate",
    )
    assert "virgule lue comme décimale" in report_text(result.report)


def test_the_resource_column_is_coded_before_the_label(tmp_path: Path) -> None:
    # « ressource » says what it is, « libellé » how the plant calls it; a vague resource
    # (« Déchets ») beside a known label (« sciure de hêtre ») is coded from the label
    source = tmp_path / "inventaire.csv"
    rows = [
        "Raison sociale;Latitude;Longitude;Sens;Ressource;Libellé",
        f"{SEWAGE.name};{SEWAGE.lat};{SEWAGE.lon};Sortant;boues de STEP;boues épaissies",
        f"{SAWMILL.name};{SAWMILL.lat};{SAWMILL.lon};Sortant;Déchets;sciure de hêtre",
    ]
    spreadsheet_csv(source, rows, encoding="utf-8")
    _, zone = run_import(tmp_path, source)
    assert [row[2:4] for row in flows_as_rows(zone)] == [
        ("boues épaissies", "19 08 05"),
        ("sciure de hêtre", "03 01 05"),
    ]


def test_a_direction_column_known_by_its_words(tmp_path: Path) -> None:
    # « Flux » could be a label: its values (« Besoin », « Rejet ») make it the direction
    source = tmp_path / "inventaire.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["SIRET", "Entreprise", "Coordonnées GPS", "Flux", "Matière", "Quantité"])
    sheet.append([int(SEWAGE.siret), SEWAGE.name, "N 51.029 E 2.401", "Rejet", "lactosérum", 12])
    sheet.append([int(CEMENT.siret), CEMENT.name, "N 51.017 E 2.284", "Besoin", "lactosérum", 5])
    workbook.save(source)
    result, zone = run_import(tmp_path, source)
    [table] = result.report.tables
    assert (table.columns["Flux"], table.columns["Matière"]) == ("direction", "label")
    assert [row[:4] for row in flows_as_rows(zone)] == [
        (SEWAGE.siret, "output", "lactosérum", "02 05 01"),
        (CEMENT.siret, "input", "lactosérum", "02 05 01"),
    ]
    assert_positions(zone, (SEWAGE, CEMENT))


# -- a chamber-of-commerce inventory: one row per flow, the company repeated


@pytest.mark.parametrize("writer", [write_cci_csv, write_cci_xlsx], ids=["csv-cp1252", "xlsx"])
def test_chamber_of_commerce_inventory(tmp_path: Path, writer: object) -> None:
    source = writer(tmp_path / f"inventaire-cci.{'csv' if writer is write_cci_csv else 'xlsx'}")  # type: ignore[operator]
    result, zone = run_import(tmp_path, source)
    assert [p.shape for p in result.report.tables] == ["flat"]
    assert list(zone.companies["id"]) == [site.siret for site in SITES]
    assert list(zone.companies["name"]) == [site.name for site in SITES]
    assert list(zone.companies["commune"]) == [site.commune for site in SITES]
    assert list(zone.companies["sector"]) == [site.naf for site in SITES]
    assert_positions(zone, SITES)
    assert flows_as_rows(zone) == cci_expected()
    assert list(zone.flows["resource_status"]) == [
        "" if c else "à coder" for *_, c, _, _, _ in CCI_EXPECTED
    ]
    notes = result.report.positions
    assert [(n.method, n.crs, n.crs_guessed) for n in notes] == [("xy", "EPSG:2154", True)]
    [conflict] = result.report.conflicts
    assert (conflict.company, conflict.field, conflict.values) == (  # noqa: PD011
        SAWMILL.siret,
        "sector",
        ("16.10A", "16.24Z"),
    )
    steel_to_cement = lead(zone, STEEL.siret, CEMENT.siret, "10 02 02")
    assert steel_to_cement["quantity"] == 200_000.0
    lead(zone, SAWMILL.siret, CEMENT.siret, "03 01 05")


def test_spoiled_siret_is_said_and_the_name_identifies(tmp_path: Path) -> None:
    source = write_cci_csv(tmp_path / "inventaire.csv", spoil_sawmill_siret=True)
    result, zone = run_import(tmp_path, source)
    assert result.report.spoiled_sirets == [("inventaire.csv", "Scierie du Nord", "3,34568E+13")]
    ids = {SAWMILL: "scierie-du-nord"}
    assert list(zone.companies["id"]) == [ids.get(s, s.siret) for s in SITES]
    assert flows_as_rows(zone) == cci_expected(ids)


# -- a template campaign: one copy of our workbook per company, in a folder or a zip

CAMPAIGN_IDS = {SAWMILL: "scierie-du-nord", SEWAGE: "step-cud"}
CAMPAIGN_ORDER = (SAWMILL, CEMENT, SEWAGE, STEEL, GREENHOUSE)  # the files' order in the folders


def campaign_id(site: Site) -> str:
    return CAMPAIGN_IDS.get(site, site.siret)


CAMPAIGN_FLOWS = [
    (SAWMILL, "output", "Sciure", "03 01 05", 4_200.0, "t/yr", "published"),
    (CEMENT, "input", "Matières premières", "cement_raw_material", 200_000.0, "t/yr", "published"),
    (CEMENT, "input", "sciure", "03 01 05", 5_000.0, "t/yr", "published"),
    (
        SEWAGE,
        "output",
        "Eaux usées traitées",
        "treated_wastewater",
        4_380_000.0,
        "m3/yr",
        "published",
    ),
    (SEWAGE, "output", "boues de STEP", "19 08 05", None, "", "unknown"),
    (STEEL, "output", "Laitier de haut fourneau", "10 02 02", 300_000.0, "t/yr", "published"),
    (STEEL, "output", "Chaleur fatale 40 °C", "waste_heat", 120_000.0, "MWh/yr", "published"),
    (GREENHOUSE, "input", "Chauffage des serres", "hot_water", 8_000.0, "MWh/yr", "published"),
]


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_template_campaign(tmp_path: Path, as_zip: bool) -> None:
    folder = write_campaign(tmp_path / "campagne")
    source = zip_folder(folder, tmp_path / "campagne.zip") if as_zip else folder
    result, zone = run_import(tmp_path, source)
    ids = [campaign_id(site) for site in CAMPAIGN_ORDER]
    assert list(zone.companies["id"]) == ids
    assert list(zone.companies["name"]) == [site.name for site in CAMPAIGN_ORDER]
    assert list(zone.companies["employees"]) == [35, 150, 20, 3200, 60]
    assert_positions(zone, CAMPAIGN_ORDER, ids)
    expected = [(campaign_id(site), *rest) for site, *rest in CAMPAIGN_FLOWS]
    assert flows_as_rows(zone) == expected
    # Files of the same name in two folders are both read; the two ids « 1 » stay apart.
    files = {plan.table.document for plan in result.report.tables}
    prefix = "campagne.zip/campagne" if as_zip else "campagne"
    assert f"{prefix}/reponses-mars/modele-collecte-flux (1).xlsx" in files
    assert f"{prefix}/reponses-avril/modele-collecte-flux (1).xlsx" in files
    assert len(files) == 5
    assert {(given, new) for _, given, new in result.report.renamed} == {
        ("1", "scierie-du-nord"),
        ("1", "step-cud"),
    }
    # The cement plant's exchange names its supplier, in another workbook, by name.
    synergies = zone.synergies
    pairs = zip(synergies["from_id"], synergies["to_id"], synergies["resource"], strict=True)
    assert list(pairs) == [(STEEL.siret, CEMENT.siret, "10 02 02")]
    assert list(synergies["quantity"]) == [120_000.0]
    assert result.report.companies_created == []
    existing = lead(zone, STEEL.siret, CEMENT.siret, "10 02 02")
    assert existing["status"] == "existing"
    lead(zone, "scierie-du-nord", CEMENT.siret, "03 01 05")


# -- another tool's sheet: one row per company, lists of needs and by-products, English

LIST_IDS = {
    STEEL: "acierie-du-littoral",
    CEMENT: "cimenterie-des-dunes",
    SAWMILL: "scierie-du-nord",
    GREENHOUSE: "serres-maraicheres-de-gravelines",
}
LIST_SITES = (STEEL, CEMENT, SAWMILL, GREENHOUSE)
LIST_FLOWS = [  # needs of every row, then offers
    (STEEL, "input", "cooling water", "cooling_water"),
    (CEMENT, "input", "steel slag", "10 02 02"),
    (CEMENT, "input", "sawdust", "03 01 05"),
    (GREENHOUSE, "input", "steam", "steam"),
    (STEEL, "output", "steel slag", "10 02 02"),
    (STEEL, "output", "steam", "steam"),
    (SAWMILL, "output", "sawdust", "03 01 05"),
]


@pytest.mark.parametrize("swap", [False, True], ids=["right", "swapped-columns"])
def test_one_row_per_company_with_lists(tmp_path: Path, swap: bool) -> None:
    source = write_list_sheet(tmp_path / "other-tool.xlsx", swap=swap)
    result, zone = run_import(tmp_path, source, lang="en")
    assert [p.shape for p in result.report.tables] == ["lists"]
    ids = [LIST_IDS[site] for site in LIST_SITES]
    assert list(zone.companies["id"]) == ids
    assert list(zone.companies["activity"]) == ["Steel", "Cement", "Sawmill", "Greenhouses"]
    assert_positions(zone, LIST_SITES, ids)
    [note] = result.report.positions
    assert note.axes_swapped is swap
    expected = [
        (LIST_IDS[site], direction, label, code, None, "", "unknown")
        for site, direction, label, code in LIST_FLOWS
    ]
    assert flows_as_rows(zone) == expected
    lead(zone, "acierie-du-littoral", "cimenterie-des-dunes", "10 02 02")
    lead(zone, "scierie-du-nord", "cimenterie-des-dunes", "03 01 05")


def test_listed_items_keep_a_temperature_and_read_a_quantity(tmp_path: Path) -> None:
    # brackets after an item: a quantity, or what the resource is like (temperature, pressure)
    source = tmp_path / "other-tool.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(LIST_HEADERS)
    sheet.append(
        [STEEL.name, "Steel", STEEL.lat, STEEL.lon, "", "Waste heat (35°C) | Steam (6 bars)"]
    )
    sheet.append([SAWMILL.name, "Sawmill", SAWMILL.lat, SAWMILL.lon, "", "sawdust (1 200 t/an)"])
    workbook.save(source)
    result, zone = run_import(tmp_path, source, lang="en")
    steel, sawmill = LIST_IDS[STEEL], LIST_IDS[SAWMILL]
    assert flows_as_rows(zone) == [
        (steel, "output", "Waste heat (35°C)", "waste_heat", None, "", "unknown"),
        (steel, "output", "Steam (6 bars)", "steam", None, "", "unknown"),
        (sawmill, "output", "sawdust", "03 01 05", 1200.0, "t/yr", "published"),
    ]
    assert not [written for written, _, _ in result.report.conversions if "°C" in written]


# -- positions: projected without a declared CRS, missing, filled from SIRENE

FLOWS_BY_SIRET = (
    "SIRET;Sens;Ressource;Quantité (t/an)\n"
    f"{STEEL.siret};Sortant;laitier de haut fourneau;300 000\n"
    f"{CEMENT.siret};Entrant;laitier de haut fourneau;200 000\n"
)


def lambert_companies(sites: tuple[Site, ...]) -> gpd.GeoDataFrame:
    """Companies in Lambert-93, their CRS then dropped, as some GIS exports leave them."""
    frame = gpd.GeoDataFrame(
        {"Raison sociale": [s.name for s in sites], "SIRET": [s.siret for s in sites]},
        geometry=gpd.points_from_xy([s.lambert[0] for s in sites], [s.lambert[1] for s in sites]),
        crs="EPSG:2154",
    )
    return frame.set_crs(None, allow_override=True)


@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # writing the test's file
@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_projected_points_without_a_declared_crs(
    tmp_path: Path, suffix: str, capfd: pytest.CaptureFixture[str]
) -> None:
    companies = tmp_path / f"etablissements{suffix}"
    lambert_companies((STEEL, CEMENT)).to_file(companies)
    flows = tmp_path / "flux.csv"
    flows.write_text(FLOWS_BY_SIRET, encoding="utf-8")
    capfd.readouterr()
    result, zone = run_import(tmp_path, companies, flows)
    assert capfd.readouterr().err == ""  # no raw Python warning line
    assert [p.shape for p in result.report.tables] == ["companies", "flows"]
    [note] = result.report.positions
    assert (note.method, note.projected_undeclared, note.crs, note.crs_guessed) == (
        "geometry",
        True,
        "EPSG:2154",
        True,
    )
    assert_positions(zone, (STEEL, CEMENT))
    assert list(zone.flows["quantity"]) == [300_000.0, 200_000.0]
    assert list(zone.flows["quantity_status"]) == ["published", "published"]
    lead(zone, STEEL.siret, CEMENT.siret, "10 02 02")


def test_a_crs_given_for_xy_that_fit_no_known_one(tmp_path: Path) -> None:
    utm = gpd.GeoSeries(
        gpd.points_from_xy([s.lon for s in SITES], [s.lat for s in SITES]), crs=4326
    )
    xy = utm.to_crs("EPSG:32631")
    table = pd.DataFrame({"Nom": [s.name for s in SITES], "X": xy.x.round(2), "Y": xy.y.round(2)})
    table["Sens"], table["Matière"] = "Sortant", "sciure"
    source = tmp_path / "inventaire.csv"
    table.to_csv(source, sep=";", index=False, decimal=",")
    result = build_import(plan_import([source]))
    assert result.zone is not None
    assert result.report.unlocated == [s.name for s in SITES]  # kept, to be located
    assert result.report.positions[0].crs is None
    _, zone = run_import(tmp_path, source, crs="EPSG:32631")
    ids = ["acierie-du-littoral", "cimenterie-des-dunes", "scierie-du-nord", "step-cud",
           "serres-maraicheres-de-gravelines"]  # fmt: skip
    assert_positions(zone, SITES, ids)


def test_missing_positions_are_kept_then_filled_from_sirene(tmp_path: Path) -> None:
    source = write_cci_csv(tmp_path / "inventaire.csv")
    text = source.read_bytes().decode("cp1252")
    for site in (SAWMILL, GREENHOUSE):  # X/Y left blank for two companies
        x, y = site.lambert
        text = text.replace(f";{x:.1f};{y:.1f};".replace(".", ","), ";;;")
    source.write_bytes(text.encode("cp1252"))
    result, zone = run_import(tmp_path, source)
    assert result.report.unlocated == [SAWMILL.name, GREENHOUSE.name]
    companies = zone.companies.set_index("id")
    assert companies.geometry.isna().tolist() == [False, False, True, False, True]
    assert list(companies["position_status"]) == ["", "", "à localiser", "", "à localiser"]
    sirene = write_sirene_positions(tmp_path / "geo_siret_59.csv", (SAWMILL, SEWAGE, GREENHOUSE))
    result, zone = run_import(tmp_path, source, positions=sirene)
    assert result.report.unlocated == []
    assert result.report.positions_file == ("geo_siret_59.csv", 2, 0)
    assert_positions(zone, SITES)
    assert list(zone.companies["position_status"]) == ["", "", "sirene", "", "sirene"]


def test_positions_in_one_column_in_degrees_minutes_seconds(tmp_path: Path) -> None:
    def dms(value: float, positive: str, negative: str) -> str:
        degrees, rest = divmod(abs(value) * 3600, 3600)
        minutes, seconds = divmod(rest, 60)
        hemisphere = positive if value >= 0 else negative
        return f"{int(degrees)}°{int(minutes):02d}'{seconds:05.2f}\"{hemisphere}".replace(".", ",")

    lines = ["Entreprise;Coordonnées GPS;Type de flux;Désignation;Tonnage (t/an)"]
    for site, direction, label in ((STEEL, "Sortant", "laitier"), (CEMENT, "Entrant", "laitier")):
        where = f"{dms(site.lat, 'N', 'S')} {dms(site.lon, 'E', 'O')}"
        lines.append(f"{site.name};{where};{direction};{label} de haut fourneau;1 000")
    source = tmp_path / "inventaire.csv"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result, zone = run_import(tmp_path, source)
    assert [n.method for n in result.report.positions] == ["lat_lon_column"]
    assert_positions(zone, (STEEL, CEMENT), ["acierie-du-littoral", "cimenterie-des-dunes"])
    assert list(zone.flows["quantity"]) == [1_000.0, 1_000.0]
    assert list(zone.flows["unit"]) == ["t/yr", "t/yr"]
    lead(zone, "acierie-du-littoral", "cimenterie-des-dunes", "10 02 02")


def test_two_uploads_of_the_same_name_are_both_read(tmp_path: Path) -> None:
    folder = write_campaign(tmp_path / "campagne")
    same_name = [
        ("modele-collecte-flux.xlsx", path.read_bytes())
        for path in (
            folder / "reponses-mars" / "modele-collecte-flux (1).xlsx",
            folder / "reponses-avril" / "modele-collecte-flux (1).xlsx",
        )
    ]
    plan = plan_uploads(same_name)
    assert {t.table.document for t in plan.tables} == {
        "modele-collecte-flux.xlsx",
        "modele-collecte-flux.xlsx (2)",
    }
    result = build_import(plan)
    assert result.zone is not None
    assert list(result.zone.companies["id"]) == [STEEL.siret, CEMENT.siret]
    assert len(result.zone.synergies) == 1


def test_a_page_can_drive_the_import_step_by_step(tmp_path: Path) -> None:
    """Detect, choose columns, see what is « à coder », code it, build, write: as a page would."""
    source = tmp_path / "collecte.csv"
    source.write_text(
        "Nom du site;Lat;Long;E/S;Matière valorisable\n"
        "Cave des Coteaux;44,8412;-0,5801;Achat;vapeur\n"
        "Cave des Coteaux;44,8412;-0,5801;Achat;refus de criblage\n",
        encoding="utf-8",
    )
    plan = plan_import([source])
    [table] = plan.tables
    assert table.shape == "ignore"
    assert table.ignored == ["Nom du site", "Matière valorisable"]
    assert table.columns["E/S"] == "direction"  # its words (« Achat ») say so
    table.columns.update({"Nom du site": "name", "Matière valorisable": "label"})
    refresh_shapes(plan)
    assert table.shape == "flat"
    result = build_import(plan)
    assert [(text, count) for text, _, count in result.report.to_code] == [("refus de criblage", 1)]
    assert result.zone is not None
    assert list(result.zone.flows["resource"]) == ["steam", ""]
    plan.mapping.resources["refus de criblage"] = "19 12 12"
    result = build_import(plan)
    assert result.report.to_code == []
    assert result.zone is not None
    assert list(result.zone.flows["resource"]) == ["steam", "19 12 12"]
    _, mapping = write_import(result, tmp_path / "coteaux.gpkg")
    written = read_mapping(mapping)
    assert written.tables[table.signature].columns["E/S"] == "direction"
    assert written.resources["refus de criblage"] == "19 12 12"
