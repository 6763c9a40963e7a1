"""Realistic inventories, written the way users produce them, for the tests of eit-geo import.

Five establishments of the Dunkirk harbour area (positions approximate, SIRET numbers invented
but valid), inventoried three ways: a chamber-of-commerce table (one row per flow), a template
campaign (one workbook per company) and another tool's sheet (one row per company, lists).
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook
from pyproj import Transformer

from eit_geo.template import build_template

_TO_L93 = Transformer.from_crs("EPSG:4326", "EPSG:2154", always_xy=True)


def luhn_siret(stem: str) -> str:
    """Complete 13 digits into a SIRET whose Luhn check holds."""
    for last in "0123456789":
        digits = stem + last
        total = 0
        for position, char in enumerate(reversed(digits)):
            number = int(char) * (2 if position % 2 else 1)
            total += number - 9 if number > 9 else number
        if total % 10 == 0:
            return digits
    raise AssertionError(stem)


@dataclass(frozen=True)
class Site:
    siret: str
    name: str
    address: str
    postcode: str
    commune: str
    naf: str
    lat: float
    lon: float

    @property
    def lambert(self) -> tuple[float, float]:
        x, y = _TO_L93.transform(self.lon, self.lat)
        return round(x, 1), round(y, 1)


STEEL = Site(luhn_siret("4123456780001"), "Aciérie du Littoral", "Route de l'Écluse Trystram",
             "59140", "Dunkerque", "24.10Z", 51.0335, 2.3120)  # fmt: skip
CEMENT = Site(luhn_siret("5234567890001"), "Cimenterie des Dunes", "Quai des Flandres",
              "59760", "Grande-Synthe", "23.51Z", 51.0170, 2.2840)  # fmt: skip
SAWMILL = Site(luhn_siret("3345678900001"), "Scierie du Nord", "12 rue du Port",
               "59279", "Loon-Plage", "16.10A", 50.9970, 2.2180)  # fmt: skip
SEWAGE = Site(luhn_siret("2456789010001"), "STEP CUD", "Chemin des Wateringues",
              "59140", "Dunkerque", "37.00Z", 51.0290, 2.4010)  # fmt: skip
GREENHOUSE = Site(luhn_siret("7567890120001"), "Serres Maraîchères de Gravelines",
                  "Route de Bourbourg", "59820", "Gravelines", "01.13Z",
                  50.9860, 2.1450)  # fmt: skip
SITES = (STEEL, CEMENT, SAWMILL, SEWAGE, GREENHOUSE)

CCI_HEADERS = [
    "SIRET", "Raison sociale", "Adresse", "Code postal", "Commune", "X", "Y", "Code NAF",
    "Sens du flux", "Ressource", "Quantité", "Unité", "Commentaire",
]  # fmt: skip

# One row per flow: (site, direction, resource as written, quantity as written, unit as written)
CCI_FLOWS = [
    (STEEL, "Sortant", "laitier de haut fourneau", "25 000", "t/mois"),
    (STEEL, "Sortant", "chaleur fatale 40°C", "120", "GWh/an"),
    (STEEL, "Entrant", "eaux de refroidissement", "3 500", "m3/j"),
    (CEMENT, "Entrant", "laitier de haut fourneau", "environ 200 000 t", ""),
    (CEMENT, "Entrant", "sciure", "5 000 000", "kg/an"),
    (CEMENT, "Sortant", "produits hors spécifications", "n.c.", ""),
    (SAWMILL, "Sortant", "sciure", "4 200", "t/an"),
    (SAWMILL, "Sortant", "palettes bois", "80", "tonnes"),
    (SEWAGE, "Sortant", "boues de STEP", "", ""),
    (SEWAGE, "Sortant", "eaux usées traitées", "12 000", "m3/j"),
    (GREENHOUSE, "Entrant", "chaleur fatale 40°C", "8 000 000", "kWh/an"),
    (GREENHOUSE, "Entrant", "vapeur BP 6 bars", "", ""),
]


def _decimal_comma(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def cci_rows(*, spoil_sawmill_siret: bool = False) -> list[list[str]]:
    """The chamber-of-commerce inventory as text cells, as a French spreadsheet shows them."""
    rows = []
    for site, direction, resource, quantity, unit in CCI_FLOWS:
        x, y = site.lambert
        siret = site.siret
        if site is SAWMILL and spoil_sawmill_siret:
            siret = f"{int(site.siret):.5E}".replace(".", ",")  # as Excel shows 14 digits
        naf = site.naf
        if site is SAWMILL and resource == "palettes bois":
            naf = "16.24Z"  # the same company given two activity codes
        rows.append(
            [siret, site.name, site.address, site.postcode, site.commune, _decimal_comma(x),
             _decimal_comma(y), naf, direction, resource, quantity, unit, ""]
        )  # fmt: skip
    return rows


# An inventory exported from another tool as a report: a title, a date and a blank line above
# the header, a yearly tonnage column, and a row of sums at the end.
EXPORT_TOP = [["Inventaire des flux - Port de Dunkerque"], ["Extraction du 12/03/2026"], []]
EXPORT_HEADERS = [
    "N° SIRET", "Raison sociale", "Commune", "Latitude", "Longitude", "Type de flux",
    "Désignation", "Tonnage annuel", "Unité", "Observations",
]  # fmt: skip
EXPORT_FLOWS = [  # (site, direction, resource, tonnes a year as written, unit)
    (STEEL, "Sortant", "Laitier", "120 000", "t"),
    (CEMENT, "Entrant", "Laitier de haut-fourneau", "80 000", "t"),
    (SAWMILL, "Sortant", "Sciures et copeaux", "450", "t"),
]


def export_rows() -> list[list[str]]:
    """The exported report as text cells: title rows, header, flows, the « Total » row."""
    width = len(EXPORT_HEADERS)
    rows = [cells + [""] * (width - len(cells)) for cells in EXPORT_TOP]
    rows.append(EXPORT_HEADERS)
    for site, direction, resource, tonnes, unit in EXPORT_FLOWS:
        lat, lon = str(site.lat).replace(".", ","), str(site.lon).replace(".", ",")
        rows.append(
            [site.siret, site.name, site.commune, lat, lon, direction, resource, tonnes, unit, ""]
        )
    rows.append(["Total", "", "", "", "", "", "", "200 450", "", ""])
    return rows


def write_export(path: Path) -> Path:
    """Save the report as CSV (French Excel: ``;``, Windows-1252) or as a workbook."""
    if path.suffix == ".csv":
        lines = [";".join(row) for row in export_rows()]
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
        return path
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Flux"
    for row in export_rows():
        sheet.append([cell or None for cell in row])
    sheet.merge_cells("A1:J1")  # the title across the table, as a report has it
    workbook.save(path)
    return path


def write_cci_csv(path: Path, *, spoil_sawmill_siret: bool = False) -> Path:
    """Save the inventory as Excel in French does: ``;``, decimal comma, Windows-1252."""
    lines = [";".join(CCI_HEADERS)]
    lines += [";".join(row) for row in cci_rows(spoil_sawmill_siret=spoil_sawmill_siret)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    return path


def write_cci_xlsx(path: Path) -> Path:
    """Save the inventory as an Excel workbook: numbers stored as numbers, SIRET as numbers."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Inventaire flux"
    sheet.append(CCI_HEADERS)
    for row in cci_rows():
        cells: list[object] = list(row)
        cells[0] = int(row[0])
        cells[5] = float(row[5].replace(",", "."))
        cells[6] = float(row[6].replace(",", "."))
        cells[3] = int(row[3])
        quantity = row[10].replace(" ", "")
        cells[10] = float(quantity) if quantity.isdigit() else row[10]
        sheet.append(cells)
    workbook.save(path)
    return path


# -- template campaign: each company fills a copy of our collection workbook


@cache
def _template() -> Path:
    return build_template(Path(tempfile.mkdtemp(prefix="eit-geo-test-")) / "modele.xlsx")


def _filled_template(
    path: Path,
    company: list[object],
    flows: list[list[object]],
    synergies: list[list[object]] = (),  # type: ignore[assignment]
) -> Path:
    shutil.copyfile(_template(), path)
    workbook = load_workbook(path)
    workbook["entreprises"].append(company)
    for flow in flows:
        workbook["flux"].append(flow)
    for synergy in synergies:
        workbook["synergies"].append(synergy)
    workbook.save(path)
    return path


def write_campaign(folder: Path) -> Path:
    """Five filled copies of the template, as they come back by e-mail, in subfolders.

    Two files have the same name (« modele-collecte-flux (1).xlsx ») in different subfolders;
    the cement plant names its supplier, the steel plant, by name in its exchanges sheet; the
    sewage plant's id is « 1 », as is the sawmill's.
    """
    (folder / "reponses-mars").mkdir(parents=True)
    (folder / "reponses-avril").mkdir(parents=True)
    steel = _filled_template(
        folder / "reponses-mars" / "modele-collecte-flux (1).xlsx",
        [STEEL.siret, STEEL.name, STEEL.naf, 3200, STEEL.lat, STEEL.lon],
        [
            [STEEL.siret, "sortie", "10 02 02", 300000, "t/an", "Laitier de haut fourneau"],
            [STEEL.siret, "sortie", "waste_heat", 120000, "MWh/an", "Chaleur fatale 40 °C"],
        ],
    )
    cement = _filled_template(
        folder / "reponses-avril" / "modele-collecte-flux (1).xlsx",
        [CEMENT.siret, CEMENT.name, CEMENT.naf, 150, CEMENT.lat, CEMENT.lon],
        [
            [CEMENT.siret, "entrée", "cement_raw_material", 200000, "t/an", "Matières premières"],
            [CEMENT.siret, "entrée", "sciure", 5000, "t/an", ""],
        ],
        [["Aciérie du Littoral", CEMENT.siret, "10 02 02", 120000, "t/an", 2015]],
    )
    sawmill = _filled_template(
        folder / "reponses-avril" / "Scierie - modele-collecte-flux.xlsx",
        ["1", SAWMILL.name, SAWMILL.naf, 35, SAWMILL.lat, SAWMILL.lon],
        [["1", "sortie", "03 01 05", 4200, "t/an", "Sciure"]],
    )
    sewage = _filled_template(
        folder / "reponses-mars" / "STEP CUD - modele-collecte-flux.xlsx",
        ["1", SEWAGE.name, SEWAGE.naf, 20, SEWAGE.lat, SEWAGE.lon],
        [
            ["1", "sortie", "treated_wastewater", 4380000, "m3/an", "Eaux usées traitées"],
            ["1", "sortie", "", "", "", "boues de STEP"],
        ],
    )
    greenhouse = _filled_template(
        folder / "reponses-mars" / "modele-collecte-flux.xlsx",
        [GREENHOUSE.siret, GREENHOUSE.name, GREENHOUSE.naf, 60, GREENHOUSE.lat, GREENHOUSE.lon],
        [[GREENHOUSE.siret, "entrée", "hot_water", 8000, "MWh/an", "Chauffage des serres"]],
    )
    del steel, cement, sawmill, sewage, greenhouse
    return folder


def zip_folder(folder: Path, archive: Path) -> Path:
    """Zip a folder as a file manager does (subfolders kept, a __MACOSX entry or two)."""
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                bundle.write(path, Path("campagne") / path.relative_to(folder))
        bundle.writestr("__MACOSX/campagne/._modele-collecte-flux.xlsx", b"\x00\x05\x16\x07")
    return archive


# -- another tool's sheet: one row per company, lists, English headers, no quantities

LIST_HEADERS = [
    "Company Name",
    "Industry",
    "Latitude",
    "Longitude",
    "Resource Needs",
    "By-Products",
]


def list_rows() -> list[list[object]]:
    return [
        [STEEL.name, "Steel", STEEL.lat, STEEL.lon, "cooling water", "steel slag | steam"],
        [CEMENT.name, "Cement", CEMENT.lat, CEMENT.lon, "steel slag | sawdust", ""],
        [SAWMILL.name, "Sawmill", SAWMILL.lat, SAWMILL.lon, "", "sawdust"],
        [GREENHOUSE.name, "Greenhouses", GREENHOUSE.lat, GREENHOUSE.lon, "steam", ""],
    ]


def write_list_sheet(path: Path, *, swap: bool = False) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Companies"
    sheet.append(LIST_HEADERS)
    for row in list_rows():
        if swap:
            row[2], row[3] = row[3], row[2]
        sheet.append(row)
    workbook.save(path)
    return path


def write_sirene_positions(path: Path, sites: tuple[Site, ...]) -> Path:
    """INSEE's geolocated SIRENE layout: ``siret;x;y;qualite_xy;epsg;…`` (Lambert-93)."""
    lines = ["siret;x;y;qualite_xy;epsg;plg_code_commune;distance_precision"]
    for site in sites:
        x, y = site.lambert
        lines.append(f"{site.siret};{x};{y};11;2154;59183;0.0")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def expected_positions() -> pd.DataFrame:
    return pd.DataFrame(
        {"lat": [s.lat for s in SITES], "lon": [s.lon for s in SITES]},
        index=[s.siret for s in SITES],
    )
