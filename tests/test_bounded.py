"""Limits checked before reading: zips inflated by counting, workbooks scanned, GeoPackages seen."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import hostile
import openpyxl
import pytest

from eit_geo import bounded
from eit_geo.bounded import LimitError, Limits, check_geopackage, check_workbook, unzip_members
from eit_geo.datafiles import data_path
from eit_geo.export import export_zone

if TYPE_CHECKING:
    from eit_geo.zone import Zone

SMALL = Limits(max_bytes=1_000_000, max_rows=1_000, max_columns=20, max_members=10)
TEXT = b"id;name\n" + b"a;Alpha\n" * 1_000


def _zip(method: int, members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _refused(key: str, call: object) -> LimitError:
    with pytest.raises(LimitError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.key == key
    return caught.value


# --------------------------------------------------------------------------- zips


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2])
def test_members_come_back_whole(method: int) -> None:
    data = _zip(method, {"zone/companies.csv": TEXT, "zone/notes.txt": b"x", "vide/": b""})
    found = unzip_members(data, SMALL, wanted=lambda name: name.endswith(".csv"))
    assert found == [("zone/companies.csv", TEXT)]


def test_a_zip_on_disk_reads_alike(tmp_path: Path) -> None:
    path = tmp_path / "envoi.zip"
    path.write_bytes(_zip(zipfile.ZIP_DEFLATED, {"companies.csv": TEXT}))
    assert unzip_members(path, SMALL) == [("companies.csv", TEXT)]


@pytest.mark.parametrize("declared", [10, len(TEXT) + 1])
def test_a_forged_size_is_refused(declared: int) -> None:
    member = hostile.deflate_repeated(TEXT, 1)
    data = hostile.raw_zip(
        [hostile.Member("companies.csv", zipfile.ZIP_DEFLATED, member.payload, declared, 0)]
    )
    error = _refused("limits.zip_damaged", lambda: unzip_members(data, SMALL))
    assert error.message("fr") == (
        "« companies.csv » ne correspond pas à la taille ou à la somme de contrôle annoncées : "
        "archive endommagée ou falsifiée"
    )


def test_a_forged_checksum_is_refused() -> None:
    member = hostile.deflate_repeated(TEXT, 1)
    forged = hostile.Member("companies.csv", 8, member.payload, len(TEXT), member.crc ^ 1)
    data = hostile.raw_zip([forged])
    _refused("limits.zip_damaged", lambda: unzip_members(data, SMALL))


def test_an_honest_zip_over_the_limit_stops_at_the_limit() -> None:
    data = _zip(zipfile.ZIP_DEFLATED, {"a.csv": b"\0" * 800_000, "b.csv": b"\0" * 800_000})
    error = _refused("limits.unzipped_too_large", lambda: unzip_members(data, SMALL))
    assert error.message("en") == "once decompressed, the content exceeds 0.2 MB"


def test_a_bzip2_bomb_stops_at_the_limit() -> None:
    error = _refused(
        "limits.unzipped_too_large", lambda: unzip_members(hostile.bzip2_bomb(), SMALL)
    )
    assert error.message("fr") == "une fois décompressé, le contenu dépasse 1 Mo"


def test_too_many_members() -> None:
    data = _zip(zipfile.ZIP_STORED, {f"f{i}.csv": b"x" for i in range(11)})
    error = _refused("limits.too_many_members", lambda: unzip_members(data, SMALL))
    assert error.message("fr") == "trop de fichiers dans l'archive (plus de 10)"


def test_other_compressions_and_passwords_are_refused() -> None:
    data = _zip(zipfile.ZIP_LZMA, {"companies.csv": TEXT})
    _refused("limits.zip_compression", lambda: unzip_members(data, SMALL))
    plain = hostile.raw_zip([hostile.Member("companies.csv", 0, TEXT, len(TEXT))])
    locked = bytearray(plain)
    locked[6] |= 1  # local header's flag
    directory = plain.rfind(b"PK\x01\x02")
    locked[directory + 8] |= 1  # central directory's flag
    _refused("limits.zip_encrypted", lambda: unzip_members(bytes(locked), SMALL))


# --------------------------------------------------------------------------- workbooks

UPLOAD = Limits(max_bytes=50_000_000, max_rows=200_000)


def test_the_collection_template_passes() -> None:
    check_workbook(data_path("template", "modele-collecte-flux.xlsx"), UPLOAD)


def _workbook(rows: list[list[object]], title: str = "companies") -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_far_column_is_refused() -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "id"
    book.active["XFD2"] = "loin"
    buffer = io.BytesIO()
    book.save(buffer)
    error = _refused("limits.too_many_columns", lambda: check_workbook(buffer.getvalue(), SMALL))
    assert error.message("fr") == "trop de colonnes (plus de 20)"


def test_a_far_row_is_refused() -> None:
    book = openpyxl.Workbook()
    book.active["A1"] = "id"
    book.active["A5000"] = "loin"
    buffer = io.BytesIO()
    book.save(buffer)
    _refused("limits.too_many_rows", lambda: check_workbook(buffer.getvalue(), SMALL))


def test_the_grid_counts_the_empty_cells_too() -> None:
    rows = [["x", *[None] * 98, "y"] for _ in range(30)]  # 30 x 100: 3,000 cells, 60 written
    limits = Limits(max_bytes=1_000_000, max_rows=100, max_columns=100)  # 4,000 cells
    check_workbook(_workbook(rows), limits)
    _refused("limits.too_many_cells", lambda: check_workbook(_workbook(rows * 2), limits))


def test_prefixed_shared_strings_are_counted() -> None:
    parts = hostile.workbook_parts({"companies": [["id"], ["a"]]})
    prefix = b'<x:sst xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    member = hostile.deflate_repeated(b"<x:si><x:t>a</x:t></x:si>" * 1_000, 5, prefix, b"</x:sst>")
    data = hostile.workbook_with(parts, {"xl/sharedStrings.xml": member})
    limits = Limits(max_bytes=1_000_000, max_rows=100)  # 4,000 cells
    _refused("limits.too_many_strings", lambda: check_workbook(data, limits))


def test_a_picture_is_never_scanned_as_text() -> None:
    parts = hostile.workbook_parts({"companies": [["id"], ["a"]]})
    picture = hostile.deflate_repeated(b"\xff" * 65_536, 8)  # 512 KiB without a « < »
    check_workbook(hostile.workbook_with(parts, {"xl/media/image1.bmp": picture}), UPLOAD)


# --------------------------------------------------------------------------- GeoPackages


def test_a_project_geopackage_passes(mini_zone: Zone, tmp_path: Path) -> None:
    path = export_zone(mini_zone, tmp_path / "projet.gpkg")
    rows = check_geopackage(path, UPLOAD, read=bounded.geopackage_layers(["companies", "flows"]))
    assert rows == {"companies": 4, "flows": len(mini_zone.flows)}
    assert check_geopackage(path.read_bytes(), UPLOAD, read=lambda _layer: False) == {}


def test_a_layer_too_long_is_refused_before_gdal(mini_zone: Zone, tmp_path: Path) -> None:
    path = export_zone(mini_zone, tmp_path / "projet.gpkg")
    limits = Limits(max_rows=3)
    error = _refused(
        "limits.too_many_rows", lambda: check_geopackage(path, limits, read=lambda _layer: True)
    )
    assert error.message("en") == "too many rows (more than 3)"


def test_a_virtual_table_layer_is_refused(mini_zone: Zone, tmp_path: Path) -> None:
    path = export_zone(mini_zone, tmp_path / "projet.gpkg")
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE VIRTUAL TABLE synergies_index USING rtree(id, minx, maxx, miny, maxy);
            INSERT INTO gpkg_contents (table_name, data_type, identifier)
                VALUES ('synergies_index', 'attributes', 'index');
            """
        )
    connection.close()
    _refused("limits.gpkg_view", lambda: check_geopackage(path, UPLOAD, read=lambda _layer: True))


def test_gdal_own_triggers_pass(mini_zone: Zone, tmp_path: Path) -> None:
    path = export_zone(mini_zone, tmp_path / "projet.gpkg")
    with sqlite3.connect(path) as connection:
        triggers = [
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        ]
    connection.close()
    assert triggers  # GDAL's R-tree triggers on the companies' points
    check_geopackage(path, UPLOAD, read=lambda _layer: True)
