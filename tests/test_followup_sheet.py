"""The follow-up workbook: written for a zone, filled as companies do, read back and checked."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from eit_geo import followup, followup_sheet
from eit_geo.datafiles import data_path, example_path
from eit_geo.errors import Problem, ZoneError
from eit_geo.loading import load_zone
from eit_geo.network_years import current_year


@pytest.fixture(scope="module")
def in_place() -> pd.DataFrame:
    return followup.synergies_in_place(load_zone(example_path("kalundborg")))


def _filled(in_place: pd.DataFrame, rows: dict[int, dict[str, object]]) -> bytes:
    """Fill the zone's workbook as a company would: type figures in some of its rows."""
    book = load_workbook(io.BytesIO(followup_sheet.build_followup_template(in_place)))
    sheet = book[followup_sheet.SHEET]
    headers = [cell.value for cell in sheet[1]]
    for row, values in rows.items():
        for name, value in values.items():
            sheet.cell(row=row, column=headers.index(name) + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row_of(in_place: pd.DataFrame, key: str) -> int:
    return int(in_place.index[in_place["key"] == key][0]) + 2


def test_the_zone_workbook_lists_its_synergies_in_place(in_place: pd.DataFrame) -> None:
    book = load_workbook(io.BytesIO(followup_sheet.build_followup_template(in_place)))
    assert book.sheetnames == ["suivi", "lisez-moi"]
    sheet = pd.read_excel(
        io.BytesIO(followup_sheet.build_followup_template(in_place)), sheet_name="suivi", dtype=str
    )
    assert list(sheet.columns) == followup_sheet.template_columns()["colonne"].tolist()
    assert len(sheet) == len(in_place)
    assert set(sheet["ressource"]) == set(in_place["resource"])
    assert sheet["année"].eq(str(current_year() - 1)).all()
    assert sheet["quantité"].isna().all()
    assert "t/an" in set(sheet["unité"])


def test_the_shipped_template_is_the_empty_workbook() -> None:
    shipped = data_path("template", "modele-suivi-echanges.xlsx")
    sheet = pd.read_excel(shipped, sheet_name="suivi", dtype=str)
    assert list(sheet.columns) == followup_sheet.template_columns()["colonne"].tolist()
    assert sheet.empty
    validations = load_workbook(shipped)["suivi"].data_validations.dataValidation
    assert any('"mesuré,estimé"' in str(v.formula1) for v in validations)


def test_a_filled_workbook_is_read_back(in_place: pd.DataFrame) -> None:
    gypsum = _row_of(in_place, "asnaes>gyproc:10 01 05")
    steam = _row_of(in_place, "asnaes>refinery:steam")
    data = _filled(
        in_place,
        {
            gypsum: {"quantité": "138 500,5", "statut": "Mesuré", "source": "bilan matière 2024"},
            steam: {"quantité": 8200, "mois": 3, "statut": "estimé", "unité": "MWh"},
        },
    )
    rows = followup_sheet.read_followup_sheet(data, file_name="suivi.xlsx", in_place=in_place)
    assert sorted(rows, key=lambda r: str(r["to_id"])) == [
        {
            "from_id": "asnaes",
            "to_id": "gyproc",
            "resource": "10 01 05",
            "year": current_year() - 1,
            "month": 0,
            "quantity": 138_500.5,
            "unit": "t/yr",
            "status": "measured",
            "source": "bilan matière 2024",
        },
        {
            "from_id": "asnaes",
            "to_id": "refinery",
            "resource": "steam",
            "year": current_year() - 1,
            "month": 3,
            "quantity": 8200.0,
            "unit": "MWh/yr",
            "status": "estimated",
            "source": "",
        },
    ]


def test_a_french_csv_is_read_too(in_place: pd.DataFrame) -> None:
    text = (
        "fournisseur;receveur;ressource;année;quantité;unité;statut;source\n"
        "asnaes;gyproc;100105;2023;141 000;t/an;mesuré;pesées\n"
        "asnaes;gyproc;10 01 05;2024;;t/an;;\n"
    )
    rows = followup_sheet.read_followup_sheet(
        text.encode("cp1252"), file_name="suivi.csv", in_place=in_place
    )
    assert [(r["resource"], r["year"], r["quantity"]) for r in rows] == [
        ("10 01 05", 2023, 141_000.0)
    ]


def test_every_bad_row_is_reported_at_once(in_place: pd.DataFrame) -> None:
    gypsum = _row_of(in_place, "asnaes>gyproc:10 01 05")
    steam = _row_of(in_place, "asnaes>refinery:steam")
    water = _row_of(in_place, "refinery>asnaes:cooling_water")
    data = _filled(
        in_place,
        {
            gypsum: {"quantité": "-3", "statut": "mesuré"},
            steam: {"quantité": "10", "statut": "à peu près", "mois": 14},
            water: {"quantité": "700000", "statut": "mesuré", "unité": "t/an"},
            len(in_place) + 2: {
                "fournisseur": "asnaes",
                "receveur": "argo",
                "ressource": "steam",
                "année": 2024,
                "quantité": 5,
                "statut": "mesuré",
            },
        },
    )
    with pytest.raises(ZoneError) as info:
        followup_sheet.read_followup_sheet(data, file_name="suivi.xlsx", in_place=in_place)
    found = {(p.row, p.column, p.value) for p in info.value.problems}
    assert found == {
        (gypsum, "quantité", "-3"),
        (steam, "mois", "14"),
        (steam, "statut", "à peu près"),
        (water, "unité", "t/an"),
        (len(in_place) + 2, "receveur", "argo"),
    }
    unit = next(p for p in info.value.problems if p.column == "unité")
    assert unit.message == "unité différente de celle de la synergie (m3/yr)"


def test_a_sheet_without_its_columns_is_refused(in_place: pd.DataFrame) -> None:
    text = "fournisseur;receveur;quantité\nasnaes;gyproc;10\n"
    with pytest.raises(ZoneError) as info:
        followup_sheet.read_followup_sheet(text.encode(), file_name="x.csv", in_place=in_place)
    assert [p.column for p in info.value.problems] == ["ressource", "année", "statut"]
    assert info.value.problems[0] == Problem(
        "x.csv", None, "ressource", None, "colonne obligatoire absente"
    )


def test_the_same_period_twice_is_refused(in_place: pd.DataFrame) -> None:
    text = (
        "fournisseur;receveur;ressource;année;quantité;statut\n"
        "asnaes;gyproc;10 01 05;2023;1;mesuré\n"
        "asnaes;gyproc;10 01 05;2023;2;mesuré\n"
    )
    with pytest.raises(ZoneError) as info:
        followup_sheet.read_followup_sheet(text.encode(), file_name="x.csv", in_place=in_place)
    (problem,) = info.value.problems
    assert (problem.row, problem.message) == (
        3,
        "même synergie, même année et même mois qu'à la ligne 2",
    )


def test_an_unreadable_file_is_one_problem(in_place: pd.DataFrame) -> None:
    with pytest.raises(ZoneError) as info:
        followup_sheet.read_followup_sheet(
            b"PK\x03\x04broken", file_name="x.xlsx", in_place=in_place
        )
    assert info.value.problems[0].message.startswith("fichier illisible")
